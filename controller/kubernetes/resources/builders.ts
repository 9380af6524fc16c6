import { createHash } from 'node:crypto';
import type {
  V1Affinity,
  V1ConfigMap,
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1OwnerReference,
  V1ResourceRequirements,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { ANNOTATION, LABEL, MANAGED_BY, PART_OF, RUNTIME_COMPONENT, RUNTIME_HEALTH_PORT } from '../../../agent-runtime/protocol/labels.ts';
import { POD_ENV } from '../../../agent-runtime/protocol/pod-env.ts';
import type { AgentSpec } from '../../spec/agent-spec.ts';
import { configMapName, deploymentName, sourceMountPath } from './names.ts';

/** What the builders need besides the Agent. */
export interface BuildContext {
  /** The Agent object's uid: the owner of what is built, so deleting the Agent deletes it. */
  agentUid: string;
  /** The runtime image for Agents without spec.image. */
  runtimeImage: string;
  natsUrl: string;
  /** Pods the Deployment should run. */
  replicas: number;
  /** JetStream replicas of the KV buckets (the pods create them when they are first). */
  kvReplicas?: number;
  imagePullPolicy?: string | undefined;
  imagePullSecrets?: string[];
  /** A version of the source ConfigMap's content: a change rolls the pods. */
  sourceVersion?: string | undefined;
}

export function ownerReference(spec: AgentSpec, uid: string): V1OwnerReference {
  return { apiVersion: 'colony.dev/v1alpha1', kind: 'Agent', name: spec.name, uid, controller: true, blockOwnerDeletion: true };
}

export function podLabels(spec: AgentSpec): Record<string, string> {
  return {
    [LABEL.agent]: spec.name,
    [LABEL.name]: spec.name,
    [LABEL.component]: RUNTIME_COMPONENT,
    [LABEL.partOf]: PART_OF,
  };
}

/** The label selector of an Agent's pods (status.selector, for the scale subresource). */
export function podSelector(spec: AgentSpec): string {
  return `${LABEL.agent}=${spec.name},${LABEL.component}=${RUNTIME_COMPONENT}`;
}

/** The module path inside the pod: under the source mount for ConfigMap code, as written for an image. */
export function modulePath(spec: AgentSpec): string {
  if (spec.source) return `${sourceMountPath(spec.name)}/${spec.module.replace(/^\.\//, '')}`;
  return spec.module.startsWith('/') ? spec.module : `/app/${spec.module.replace(/^\.\//, '')}`;
}

/** The Agent's runtime settings, read by its pods through envFrom. */
export function buildConfigMap(spec: AgentSpec, context: Pick<BuildContext, 'agentUid'>): V1ConfigMap {
  const data: Record<string, string> = {
    [POD_ENV.agent]: spec.name,
    [POD_ENV.module]: modulePath(spec),
    [POD_ENV.partitions]: String(spec.partitions),
    [POD_ENV.durability]: spec.durability,
    [POD_ENV.idleTimeoutMs]: String(spec.idleTimeoutMs),
    [POD_ENV.drainTimeoutMs]: String(spec.drainTimeoutMs),
    [POD_ENV.healthPort]: String(RUNTIME_HEALTH_PORT),
  };
  if (spec.exportName) data[POD_ENV.exportName] = spec.exportName;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: configMapName(spec.name),
      namespace: spec.namespace,
      labels: { ...podLabels(spec), [LABEL.managedBy]: MANAGED_BY },
      ownerReferences: [ownerReference(spec, context.agentUid)],
    },
    data,
  };
}

/** A hash of everything in the pod template that lives outside it: a change rolls the pods. */
export function configHash(configMap: V1ConfigMap): string {
  return createHash('sha256').update(JSON.stringify(configMap.data)).digest('hex').slice(0, 16);
}

function runtimeContainer(spec: AgentSpec, context: BuildContext): V1Container {
  const env: V1EnvVar[] = [
    { name: POD_ENV.podId, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: POD_ENV.namespace, valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: POD_ENV.natsUrl, value: context.natsUrl },
    { name: POD_ENV.kvReplicas, value: String(context.kvReplicas ?? 1) },
    ...spec.env.map((e) => ({ name: e.name, value: e.value })),
  ];
  const mounts: V1VolumeMount[] = [{ name: 'tmp', mountPath: '/tmp' }];
  if (spec.source) mounts.push({ name: 'agent-source', mountPath: sourceMountPath(spec.name), readOnly: true });
  const probe = (path: string, failureThreshold: number) => ({
    httpGet: { path, port: RUNTIME_HEALTH_PORT },
    periodSeconds: 5,
    timeoutSeconds: 2,
    failureThreshold,
  });
  return {
    name: 'runtime',
    image: spec.image ?? context.runtimeImage,
    imagePullPolicy: context.imagePullPolicy,
    envFrom: [{ configMapRef: { name: configMapName(spec.name) } }],
    env,
    ports: [{ name: 'health', containerPort: RUNTIME_HEALTH_PORT }],
    // /healthz answers while the event loop runs, whatever turns are doing: a long turn never fails it.
    livenessProbe: probe('/healthz', 6),
    readinessProbe: probe('/readyz', 2),
    startupProbe: { ...probe('/healthz', 30), periodSeconds: 1 },
    resources: spec.kubernetes.resources as V1ResourceRequirements | undefined,
    volumeMounts: mounts,
    securityContext: {
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

/** The Deployment that runs an Agent's pods. */
export function buildDeployment(spec: AgentSpec, context: BuildContext, hash: string): V1Deployment {
  const labels = podLabels(spec);
  const volumes: V1Volume[] = [{ name: 'tmp', emptyDir: {} }];
  if (spec.source) {
    const ref = spec.source.configMapRef;
    const key = ref.key ?? spec.module.replace(/^\.\//, '');
    volumes.push({ name: 'agent-source', configMap: { name: ref.name, items: [{ key, path: spec.module.replace(/^\.\//, '') }] } });
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: deploymentName(spec.name),
      namespace: spec.namespace,
      labels: { ...labels, [LABEL.managedBy]: MANAGED_BY },
      ownerReferences: [ownerReference(spec, context.agentUid)],
    },
    spec: {
      replicas: context.replicas,
      selector: { matchLabels: { [LABEL.agent]: spec.name, [LABEL.component]: RUNTIME_COMPONENT } },
      // New pods come up before old ones go: partitions move to them, two-phase, as on scale-up.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels, annotations: { [ANNOTATION.configHash]: context.sourceVersion ? `${hash}-${context.sourceVersion}` : hash } },
        spec: {
          containers: [runtimeContainer(spec, context)],
          imagePullSecrets: context.imagePullSecrets?.length ? context.imagePullSecrets.map((name) => ({ name })) : undefined,
          volumes,
          // Enough for the drain (finish turns, persist, release) before SIGKILL.
          terminationGracePeriodSeconds: Math.ceil(spec.drainTimeoutMs / 1000) + 10,
          serviceAccountName: spec.kubernetes.serviceAccountName,
          automountServiceAccountToken: spec.kubernetes.serviceAccountName !== undefined,
          nodeSelector: spec.kubernetes.nodeSelector,
          tolerations: spec.kubernetes.tolerations as V1Toleration[] | undefined,
          affinity: spec.kubernetes.affinity as V1Affinity | undefined,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        },
      },
    },
  };
}
