import type { LoadReport, PodState } from './placement.ts';
import type { JsonSchema } from './schema.ts';

/** What the controller publishes about an Agent (registry key `spec.<ns>.<agent>`). */
export interface AgentSpecRecord {
  namespace: string;
  name: string;
  partitions: number;
  minReplicas: number;
  maxReplicas: number;
  updatedAt: number;
}

export interface MethodDescriptor {
  /** JSON schema of the method's input, when the agent declares one. */
  input?: JsonSchema;
}

/** What an Agent's pods publish about its API (registry key `api.<ns>.<agent>`). */
export interface AgentApiRecord {
  namespace: string;
  name: string;
  methods: Record<string, MethodDescriptor>;
  updatedAt: number;
}

/** One pod of an Agent, as its status shows it. */
export interface PodStatusRecord {
  podId: string;
  /** `pending`: started by the driver, no heartbeat yet (or none for a while). */
  state: PodState | 'pending';
  /** Chosen for removal: its partitions are moving away. */
  leaving: boolean;
  /** How many partitions it serves (see PodHeartbeat.served). */
  served: number;
  load: LoadReport | undefined;
  startedAt: number | undefined;
  restarts: number;
  detail: Record<string, unknown>;
}

export interface ScalingDecisionRecord {
  at: number;
  from: number;
  to: number;
  reason: string;
}

/** What the controller publishes about an Agent's pods and scaling (registry key `status.<ns>.<agent>`), every second. */
export interface AgentStatusRecord {
  namespace: string;
  name: string;
  /** Where the Agent came from: a manifest file, or `namespace/name` on Kubernetes. */
  origin: string;
  desiredReplicas: number;
  readyReplicas: number;
  /** The autoscaler's latest sentence. */
  reason: string;
  partitions: number;
  /** Partitions served now by the pod the placement table gives them to. */
  partitionsServed: number;
  activeInstances: number;
  pods: PodStatusRecord[];
  /** Recent changes of the replica count, oldest first. */
  decisions: ScalingDecisionRecord[];
  updatedAt: number;
}
