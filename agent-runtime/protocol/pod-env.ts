import { SHARED_ENV } from './shared-env.ts';

/**
 * Environment variables through which a controller (local or Kubernetes)
 * configures a runtime pod. Defined once, read by the runtime's loadConfig and
 * written by both drivers; those every component reads are in shared-env.ts.
 */
export const POD_ENV = {
  natsUrl: SHARED_ENV.natsUrl,
  natsToken: SHARED_ENV.natsToken,
  namespace: SHARED_ENV.namespace,
  agent: 'COLONY_AGENT',
  podId: 'COLONY_POD_ID',
  module: 'COLONY_AGENT_MODULE',
  exportName: 'COLONY_AGENT_EXPORT',
  partitions: 'COLONY_PARTITIONS',
  durability: 'COLONY_DURABILITY',
  idleTimeoutMs: 'COLONY_IDLE_TIMEOUT_MS',
  drainTimeoutMs: 'COLONY_DRAIN_TIMEOUT_MS',
  /** Workflows: how long a finished instance is kept before it is purged (spec.retention). */
  retentionMs: 'COLONY_RETENTION_MS',
  /** The manifest's spec.subscriptions, as JSON: [{topic, method, key, maxAttempts}]. */
  subscriptions: 'COLONY_SUBSCRIPTIONS',
  /** spec.placement.keyDelimiter: the placement key is the instance key up to its first occurrence. */
  keyDelimiter: 'COLONY_KEY_DELIMITER',
  /** A pod of a placement group: the group's name (then groupAgents replaces the per-Agent variables above). */
  group: 'COLONY_GROUP',
  /** A pod of a placement group: its Agents as JSON, [{name, module, exportName, durability, idleTimeoutMs, retentionMs, subscriptions, keyDelimiter}]. */
  groupAgents: 'COLONY_GROUP_AGENTS',
  healthPort: SHARED_ENV.healthPort,
  logFormat: 'COLONY_LOG_FORMAT',
  logLevel: SHARED_ENV.logLevel,
  /** A pod whose event loop stalled this long re-checks its partitions before serving (see DEFAULT_STALL_LIMIT_MS). */
  stallLimitMs: 'COLONY_STALL_LIMIT_MS',
  kvReplicas: SHARED_ENV.kvReplicas,
  /** Local pods only: the pid of `colony dev`; when that process is gone the pod drains briefly and exits (parent-watch.ts). */
  parentPid: 'COLONY_PARENT_PID',
  /**
   * Where the pod leaves why it was killed when its watchdog ends it (the
   * Kubernetes driver sets the container's terminationMessagePath,
   * /dev/termination-log). Unset: the log line only.
   */
  terminationLog: 'COLONY_TERMINATION_LOG',
} as const;

export const DURABILITY_MODES = ['turn', 'async', 'none'] as const;
export type Durability = (typeof DURABILITY_MODES)[number];

/** One member of a group as the controller writes it into POD_ENV.groupAgents. */
export interface GroupMemberEnv {
  name: string;
  module: string;
  exportName?: string | undefined;
  durability?: Durability | undefined;
  idleTimeoutMs?: number | undefined;
  retentionMs?: number | undefined;
  subscriptions?: unknown[] | undefined;
  keyDelimiter?: string | undefined;
}
