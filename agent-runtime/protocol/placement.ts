/**
 * The placement table of one Agent, stored in KV by the controller and
 * watched by every pod of that Agent. `owners[p]` is the pod that may serve
 * partition p, or null while p is unassigned or being handed over.
 */
export interface PlacementTable {
  namespace: string;
  agent: string;
  epoch: number;
  partitions: number;
  owners: (string | null)[];
  updatedAt: number;
}

export const POD_STATES = ['starting', 'running', 'draining', 'stopped'] as const;
export type PodState = (typeof POD_STATES)[number];

/** What a pod reports about its load, every heartbeat. */
export interface LoadReport {
  /** Turns running now. */
  inflight: number;
  /** Calls waiting in mailboxes. */
  queued: number;
  activeInstances: number;
  /** Turns completed since the previous report. */
  turns: number;
  /** Median and 99th percentile turn latency since the previous report, ms. */
  turnLatencyP50Ms: number;
  turnLatencyP99Ms: number;
  /** CPU used since the previous report, as a fraction of one core. */
  cpu: number;
  heapUsedBytes: number;
  rssBytes: number;
}

/** Published by the gateway (on demandSubject) when calls wait for an Agent that no pod serves. */
export interface DemandSignal {
  namespace: string;
  agent: string;
  partition: number;
  sentAt: number;
}

/** Published by every pod every second, and at once when the partitions it serves change. */
export interface PodHeartbeat {
  namespace: string;
  agent: string;
  podId: string;
  state: PodState;
  /** Partitions this pod serves: taking their calls, or finishing them while it releases a partition (ascending). */
  served: number[];
  /** Epoch of the newest placement table the pod has applied. */
  tableEpoch: number;
  load: LoadReport;
  startedAt: number;
  sentAt: number;
}
