import type { PlacementUnit } from '../placement/groups.ts';

/** A pod as its driver knows it (process or Kubernetes pod). */
export interface DriverPod {
  podId: string;
  agent: string;
  namespace: string;
  /** When this incarnation started, ms since the epoch. */
  startedAt: number;
  restarts: number;
  /** Driver-specific detail for `colony get pods` (pid, node, phase). */
  detail: Record<string, unknown>;
  /** What the pod last reported about its own health, when it did (its watchdog: a blocked event loop and what runs). */
  note?: string | undefined;
  /** What the scheduler said when it could not place the pod (Kubernetes); undefined once placed. */
  unschedulable?: string | undefined;
  /** Told to stop (SIGTERM sent; on Kubernetes, being deleted): it is leaving, whatever its last heartbeat said. */
  stopping?: boolean | undefined;
}

/** A pod that ended without being told to: when, and why. */
export interface PodExit {
  podId: string;
  at: number;
  reason: string;
}

/** How many unexpected exits a driver keeps per Agent. */
export const MAX_RECENT_EXITS = 5;

/**
 * How the controller starts and stops pods. Placement, autoscaling and status
 * are the controller's; a driver only makes the number of pods of an Agent
 * match what it is told, and reports pods that end.
 */
export interface PodDriver {
  /**
   * Makes `replicas` pods of `unit` run (an Agent's, or a placement group's,
   * which host all of its members; pods and workloads go by the unit's name). The pods in `remove` (already
   * drained by the controller) are the ones to stop; they do not count
   * towards `replicas`. Returns once the change is started, not finished:
   * pods that end are reported through DriverEvents.onPodGone.
   */
  scale(unit: PlacementUnit, replicas: number, remove?: readonly string[]): Promise<void>;
  /** Stops and forgets every pod of an Agent. */
  remove(namespace: string, agent: string): Promise<void>;
  pods(namespace: string, agent: string): DriverPod[];
  /** The Agent's pods that ended unexpectedly, newest first (at most MAX_RECENT_EXITS). */
  exits(namespace: string, agent: string): PodExit[];
  /** Stops every pod (platform shutdown). */
  stop(): Promise<void>;
}

export interface DriverEvents {
  /** A pod ended (exit, crash, deletion); the controller stops routing to it at once. */
  onPodGone(podId: string, namespace: string, agent: string, reason: string): void;
}
