/**
 * Environment variables through which a controller (local or Kubernetes)
 * configures a runtime pod. Defined once, read by the runtime's loadConfig and
 * written by both drivers.
 */
export const POD_ENV = {
  natsUrl: 'COLONY_NATS_URL',
  /** The token NATS requires of its clients (the chart's `nats.auth`); unset where NATS asks for none. */
  natsToken: 'COLONY_NATS_TOKEN',
  namespace: 'COLONY_NAMESPACE',
  agent: 'COLONY_AGENT',
  podId: 'COLONY_POD_ID',
  module: 'COLONY_AGENT_MODULE',
  exportName: 'COLONY_AGENT_EXPORT',
  partitions: 'COLONY_PARTITIONS',
  durability: 'COLONY_DURABILITY',
  idleTimeoutMs: 'COLONY_IDLE_TIMEOUT_MS',
  drainTimeoutMs: 'COLONY_DRAIN_TIMEOUT_MS',
  healthPort: 'COLONY_HEALTH_PORT',
  logFormat: 'COLONY_LOG_FORMAT',
  logLevel: 'COLONY_LOG_LEVEL',
  /** A pod whose event loop stalled this long re-checks its partitions before serving (see DEFAULT_STALL_LIMIT_MS). */
  stallLimitMs: 'COLONY_STALL_LIMIT_MS',
  /** JetStream replicas of the KV buckets (1 for one NATS server, 3 for a cluster); everyone creating buckets must agree. */
  kvReplicas: 'COLONY_KV_REPLICAS',
  /** Local pods only: the pid of `colony dev`; the pod drains and exits when that process is gone. */
  parentPid: 'COLONY_PARENT_PID',
} as const;

export const DURABILITY_MODES = ['turn', 'async', 'none'] as const;
export type Durability = (typeof DURABILITY_MODES)[number];
