import type { LoadReport, PodState } from './placement.ts';
import type { JsonSchema } from './schema.ts';

/** What the controller publishes about an Agent (registry key `spec.<ns>.<agent>`). */
export interface AgentSpecRecord {
  namespace: string;
  name: string;
  partitions: number;
  /** The placement group it shares pods and placement with, if any. */
  group?: string | undefined;
  /** spec.placement.keyDelimiter: the placement key is the instance key up to its first occurrence. */
  keyDelimiter?: string | undefined;
  minReplicas: number;
  maxReplicas: number;
  updatedAt: number;
}

export interface MethodDescriptor {
  /** JSON schema of the method's input, when the agent declares one. */
  input?: JsonSchema;
  /** JSON schema of the method's result, when the agent declares one (`outputs`); for documentation, never checked. */
  output?: JsonSchema;
}

/** What an Agent's pods publish about its API (registry key `api.<ns>.<agent>`). */
export interface AgentApiRecord {
  namespace: string;
  name: string;
  /** `workflow` for an Agent whose module defines a workflow (it has no methods, only the management verbs). */
  kind?: 'agent' | 'workflow' | undefined;
  methods: Record<string, MethodDescriptor>;
  /** Names of the activities its pods run (`ctx.activities`), if any. */
  activities?: string[] | undefined;
  /** The topics its methods handle (code and manifest), if any: the controller wakes it for their events. */
  subscriptions?: { topic: string; method: string }[] | undefined;
  updatedAt: number;
}

/** One pod of an Agent, as its status shows it. */
export interface PodStatusRecord {
  podId: string;
  /**
   * `pending`: started by the driver, no heartbeat yet. `unresponsive`: it
   * heartbeated, then stopped (blocked, paused, cut off): its partitions went
   * to other pods and a new pod was started in its place.
   */
  state: PodState | 'pending' | 'unresponsive';
  /** Why it is in that state, when there is more to say (what its watchdog reported, how long it has been silent). */
  note?: string | undefined;
  /** What the scheduler said when it could not place the pod (Kubernetes: no node fits its resources, selector or taints). */
  unschedulable?: string | undefined;
  /** Chosen for removal: its partitions are moving away. */
  leaving: boolean;
  /** How many partitions it serves (see PodHeartbeat.served). */
  served: number;
  load: LoadReport | undefined;
  startedAt: number | undefined;
  restarts: number;
  detail: Record<string, unknown>;
}

/** A pod that ended unexpectedly. */
export interface PodExitRecord {
  podId: string;
  at: number;
  reason: string;
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
  /** The placement group whose pods host it (then pods, partitions and scaling are the group's). */
  group?: string | undefined;
  /** Settings of its manifest that are not applied, and why (a member of a group whose pod settings are another member's). */
  warning?: string | undefined;
  partitions: number;
  /** Partitions served now by the pod the placement table gives them to. */
  partitionsServed: number;
  activeInstances: number;
  pods: PodStatusRecord[];
  /** Recent changes of the replica count, oldest first. */
  decisions: ScalingDecisionRecord[];
  /** Pods of the Agent that ended unexpectedly, newest first, with why (exit code, signal, what its watchdog said). */
  exits?: PodExitRecord[] | undefined;
  /** Events of its subscriptions' topics not handled yet (absent: it subscribes to none). */
  eventLag?: number | undefined;
  updatedAt: number;
}
