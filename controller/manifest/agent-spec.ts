import type { Durability } from '../../agent-runtime/protocol/pod-env.ts';

export type ScalingMode = 'auto' | 'manual';

export interface ScalingSpec {
  mode: ScalingMode;
  replicas: number | undefined;
  minReplicas: number;
  maxReplicas: number;
  targetInflight: number;
  targetActiveInstances: number;
  scaleToZeroAfterMs: number;
}

/** An Agent with every default applied: what controllers and drivers work from. */
export interface AgentSpec {
  namespace: string;
  name: string;
  /** Where it came from, for messages: a file path, or `namespace/name` on Kubernetes. */
  origin: string;
  /** Absolute path of the module (local), or the path inside the image / ConfigMap key. */
  module: string;
  exportName: string | undefined;
  image: string | undefined;
  source: { configMapRef: { name: string; key: string | undefined } } | undefined;
  partitions: number;
  durability: Durability;
  idleTimeoutMs: number;
  drainTimeoutMs: number;
  /** Workflows: how long a finished instance is kept. */
  retentionMs: number;
  scaling: ScalingSpec;
  /** spec.placement: the placement group it shares pods with, and how its instance keys are placed. */
  placement: { group: string | undefined; keyDelimiter: string | undefined };
  /** Subscriptions declared in the manifest (spec.subscriptions), added to those of the code. */
  subscriptions: { topic: string; method: string; key: string; maxAttempts: number }[];
  env: { name: string; value: string }[];
  /** Kubernetes-only settings, passed through to the pods as they are. */
  kubernetes: {
    resources: Record<string, unknown> | undefined;
    nodeSelector: Record<string, string> | undefined;
    tolerations: Record<string, unknown>[] | undefined;
    affinity: Record<string, unknown> | undefined;
    serviceAccountName: string | undefined;
    /** spec.volumes, as in a pod spec, and where the runtime container mounts them (checked: each mount names a volume). */
    volumes: Record<string, unknown>[];
    volumeMounts: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  };
}
