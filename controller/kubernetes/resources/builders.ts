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
import type { PlacementUnit } from '../../placement/groups.ts';
import { unitEnv } from '../../drivers/unit-env.ts';
import { configMapName, deploymentName, natsSecretName, sourceMountPath, sourceVolumeName } from './names.ts';

/** An Agent object that owns what is built for its unit. */
export interface AgentOwner {
  name: string;
  uid: string;
}

/**
 * What the builders need besides the placement unit (an Agent, or a placement
 * group: placement/groups.ts). What is built goes by the unit's name.
 */
export interface BuildContext {
  /**
   * The Agent objects that own what is built: the unit's members, its lead
   * (the controller) first. Kubernetes deletes it once all of them are gone.
   */
  owners: readonly AgentOwner[];
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

/** An owner reference to each owner; only the first (the unit's lead) is the controller. */
export function ownerReferences(owners: readonly AgentOwner[]): V1OwnerReference[] {
  return owners.map(({ name, uid }, i) => ({ apiVersion: 'colony.dev/v1alpha1', kind: 'Agent', name, uid, controller: i === 0, blockOwnerDeletion: true }));
}

/** The labels of a unit's pods: by its name (an Agent's pods are labelled as before groups), and a group's by its group too. */
export function podLabels(unit: PlacementUnit): Record<string, string> {
  return {
    [LABEL.agent]: unit.name,
    [LABEL.name]: unit.name,
    [LABEL.component]: RUNTIME_COMPONENT,
    [LABEL.partOf]: PART_OF,
    ...(unit.group === undefined ? {} : { [LABEL.group]: unit.group }),
  };
}

/** The label selector of a unit's pods (status.selector, for the scale subresource): by the unit's name. */
export function podSelector(unit: string): string {
  return `${LABEL.agent}=${unit},${LABEL.component}=${RUNTIME_COMPONENT}`;
}

/** The key of an Agent's code in its source ConfigMap (spec.source.configMapRef.key, or the module's file name). */
export function sourceKey(spec: AgentSpec): string {
  return spec.source?.configMapRef.key ?? moduleFile(spec);
}

function moduleFile(spec: AgentSpec): string {
  return spec.module.replace(/^\.\//, '');
}

/** The module path inside the pod: under the source mount for ConfigMap code, as written for an image. */
export function modulePath(spec: AgentSpec): string {
  if (spec.source) return `${sourceMountPath(spec.name)}/${moduleFile(spec)}`;
  return spec.module.startsWith('/') ? spec.module : `/app/${moduleFile(spec)}`;
}

/** Metadata of an object the controller makes for a unit: in its namespace, labelled, owned by its Agents. */
function ownedMetadata(unit: PlacementUnit, name: string, owners: readonly AgentOwner[]): V1ObjectMeta {
  return {
    name,
    namespace: unit.spec.namespace,
    labels: { ...podLabels(unit), [LABEL.managedBy]: MANAGED_BY },
    ownerReferences: ownerReferences(owners),
  };
}

/** The unit's runtime settings (unitEnv: one Agent's, or a group's members'), read by its pods through envFrom. */
export function buildConfigMap(unit: PlacementUnit, context: Pick<BuildContext, 'owners'>): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: ownedMetadata(unit, configMapName(unit.name), context.owners),
    data: { ...unitEnv(unit, modulePath), [POD_ENV.healthPort]: String(RUNTIME_HEALTH_PORT) },
  };
}

/**
 * The NATS token of a unit's pods, in its namespace (a Secret cannot be read
 * across namespaces), owned by its Agents. Undefined when NATS asks for no
 * token.
 */
export function buildNatsSecret(unit: PlacementUnit, context: Pick<BuildContext, 'owners' | 'natsToken'>): V1Secret | undefined {
  if (!context.natsToken) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: ownedMetadata(unit, natsSecretName(unit.name), context.owners),
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
  // Keys sorted: the hash says what the settings are, not in which order they were written.
  const sorted = (data: Record<string, string> | undefined) => Object.fromEntries(Object.entries(data ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
  // Without a Secret, the hash of the settings alone (as before there were tokens).
  const content = secret ? JSON.stringify([sorted(configMap.data), sorted(secret.data)]) : JSON.stringify(sorted(configMap.data));
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

/** The source ConfigMap of each member that has one (spec.source): a volume, mounted where its module path points. */
function sourceVolumes(unit: PlacementUnit): { volume: V1Volume; mount: V1VolumeMount }[] {
  return unit.members.flatMap((member) => {
    if (!member.source) return [];
    const name = sourceVolumeName(member.name, unit.group !== undefined);
    const items = [{ key: sourceKey(member), path: moduleFile(member) }];
    return [{ volume: { name, configMap: { name: member.source.configMapRef.name, items } }, mount: { name, mountPath: sourceMountPath(member.name), readOnly: true } }];
  });
}

function runtimeContainer(unit: PlacementUnit, context: BuildContext): V1Container {
  const { spec } = unit;
  const env: V1EnvVar[] = [
    { name: POD_ENV.podId, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: POD_ENV.namespace, valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: POD_ENV.natsUrl, value: context.natsUrl },
    { name: POD_ENV.kvReplicas, value: String(context.kvReplicas ?? DEFAULT_KV_REPLICAS) },
    // The pod's watchdog leaves why it killed the pod there; Kubernetes shows it in the container's last state.
    { name: POD_ENV.terminationLog, value: TERMINATION_MESSAGE_PATH },
    ...spec.env.map((e) => ({ name: e.name, value: e.value })),
  ];
  const mounts: V1VolumeMount[] = [{ name: 'tmp', mountPath: '/tmp' }, ...sourceVolumes(unit).map((source) => source.mount), ...spec.kubernetes.volumeMounts];
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
    envFrom: [{ configMapRef: { name: configMapName(unit.name) } }, ...(context.natsToken ? [{ secretRef: { name: natsSecretName(unit.name) } }] : [])],
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

/**
 * The Deployment that runs a unit's pods: an Agent's, or a placement group's,
 * whose pods host every member (each member's source mounted at its own path).
 * Pod settings (image, env, resources, scheduling) are the unit's lead's.
 */
export function buildDeployment(unit: PlacementUnit, context: BuildContext, hash: string): V1Deployment {
  const { spec } = unit;
  const labels = podLabels(unit);
  const volumes: V1Volume[] = [{ name: 'tmp', emptyDir: {} }, ...sourceVolumes(unit).map((source) => source.volume), ...(spec.kubernetes.volumes as unknown as V1Volume[])];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: ownedMetadata(unit, deploymentName(unit.name), context.owners),
    spec: {
      replicas: context.replicas,
      // Immutable once made: by the unit's name only, as for an Agent before groups.
      selector: { matchLabels: { [LABEL.agent]: unit.name, [LABEL.component]: RUNTIME_COMPONENT } },
      // New pods come up before old ones go: partitions move to them, two-phase, as on scale-up.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels,
          annotations: {
            [ANNOTATION.configHash]: context.sourceVersion ? `${hash}-${context.sourceVersion}` : hash,
            // Prometheus' kubernetes_sd pod role finds the pods' metrics by these (README: Metrics).
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(RUNTIME_HEALTH_PORT),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          containers: [runtimeContainer(unit, context)],
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
