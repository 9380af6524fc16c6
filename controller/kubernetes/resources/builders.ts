import { createHash } from 'node:crypto';
import type {
  V1Affinity,
  V1ConfigMap,
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1ObjectMeta,
  V1OwnerReference,
  V1ResourceRequirements,
  V1Secret,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { ANNOTATION, LABEL, MANAGED_BY, PART_OF, RUNTIME_COMPONENT, RUNTIME_HEALTH_PORT } from '../labels.ts';
import { POD_ENV } from '../../../agent-runtime/protocol/pod-env.ts';
import { DEFAULT_KV_REPLICAS } from '../../../agent-runtime/protocol/shared-env.ts';
import type { AgentSpec } from '../../manifest/agent-spec.ts';
import { configMapName, deploymentName, natsSecretName, sourceMountPath } from './names.ts';

/** What the builders need besides the Agent. */
export interface BuildContext {
  /** The Agent object's uid: the owner of what is built, so deleting the Agent deletes it. */
  agentUid: string;
  /** The runtime image for Agents without spec.image. */
  runtimeImage: string;
  natsUrl: string;
  /** The token NATS requires of clients; the pods read it from the Agent's NATS Secret (buildNatsSecret). */
  natsToken?: string | undefined;
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

/** Metadata of an object the controller makes for an Agent: in its namespace, labelled, owned by it. */
function ownedMetadata(spec: AgentSpec, name: string, agentUid: string): V1ObjectMeta {
  return {
    name,
    namespace: spec.namespace,
    labels: { ...podLabels(spec), [LABEL.managedBy]: MANAGED_BY },
    ownerReferences: [ownerReference(spec, agentUid)],
  };
}

/** The Agent's runtime settings, read by its pods through envFrom. */
export function buildConfigMap(spec: AgentSpec, context: Pick<BuildContext, 'agentUid'>): V1ConfigMap {
  const data: Record<string, string> = {
    [POD_ENV.agent]: spec.name,
    [POD_ENV.module]: modulePath(spec),
    [POD_ENV.partitions]: String(spec.partitions),
    [POD_ENV.durability]: spec.durability,
    [POD_ENV.idleTimeoutMs]: String(spec.idleTimeoutMs),
    [POD_ENV.retentionMs]: String(spec.retentionMs),
      ...(spec.subscriptions.length > 0 ? { [POD_ENV.subscriptions]: JSON.stringify(spec.subscriptions) } : {}),
    [POD_ENV.drainTimeoutMs]: String(spec.drainTimeoutMs),
    [POD_ENV.healthPort]: String(RUNTIME_HEALTH_PORT),
  };
  if (spec.exportName) data[POD_ENV.exportName] = spec.exportName;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: ownedMetadata(spec, configMapName(spec.name), context.agentUid),
    data,
  };
}

/**
 * The NATS token of an Agent's pods, in the Agent's namespace (a Secret cannot
 * be read across namespaces), owned by the Agent. Undefined when NATS asks
 * for no token.
 */
export function buildNatsSecret(spec: AgentSpec, context: Pick<BuildContext, 'agentUid' | 'natsToken'>): V1Secret | undefined {
  if (!context.natsToken) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: ownedMetadata(spec, natsSecretName(spec.name), context.agentUid),
    type: 'Opaque',
    data: { [POD_ENV.natsToken]: Buffer.from(context.natsToken, 'utf8').toString('base64') },
  };
}

/**
 * A hash of everything in the pod template that lives outside it (settings,
 * and the NATS token when there is one): a change rolls the pods. One-way, so
 * the annotation says nothing about the token.
 */
export function configHash(configMap: V1ConfigMap, secret?: V1Secret): string {
  // Without a Secret, the hash of the settings alone (as before there were tokens): no needless roll.
  const content = secret ? JSON.stringify([configMap.data, secret.data]) : JSON.stringify(configMap.data);
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

function runtimeContainer(spec: AgentSpec, context: BuildContext): V1Container {
  const env: V1EnvVar[] = [
    { name: POD_ENV.podId, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: POD_ENV.namespace, valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: POD_ENV.natsUrl, value: context.natsUrl },
    { name: POD_ENV.kvReplicas, value: String(context.kvReplicas ?? DEFAULT_KV_REPLICAS) },
    // The pod's watchdog leaves why it killed the pod there; Kubernetes shows it in the container's last state.
    { name: POD_ENV.terminationLog, value: TERMINATION_MESSAGE_PATH },
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
    envFrom: [{ configMapRef: { name: configMapName(spec.name) } }, ...(context.natsToken ? [{ secretRef: { name: natsSecretName(spec.name) } }] : [])],
    env,
    ports: [{ name: 'health', containerPort: RUNTIME_HEALTH_PORT }],
    terminationMessagePath: TERMINATION_MESSAGE_PATH,
    terminationMessagePolicy: 'FallbackToLogsOnError',
    // /healthz answers while the event loop runs, whatever turns are doing: a long turn never fails it. An event loop
    // blocked for 30 s does, and the container is restarted (its watchdog has usually ended it before).
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

/** Where a runtime container leaves why it ended (Kubernetes' default), read back into the container's last state. */
export const TERMINATION_MESSAGE_PATH = '/dev/termination-log';

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
