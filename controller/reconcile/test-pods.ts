/** Test helpers for the reconciler: heartbeats and driver pods of an Agent `counter`. Used by the tests next to it only. */
import type { LoadReport, PodHeartbeat } from '../../agent-runtime/protocol/placement.ts';
import { report } from '../autoscaler/test-load.ts';
import type { DriverPod } from '../drivers/driver.ts';

export const NOW = 1_000_000;

/** A running pod's heartbeat, sent now, serving `served`. */
export function heartbeat(podId: string, served: number[], more: Partial<Omit<PodHeartbeat, 'load'>> & { load?: Partial<LoadReport> } = {}): PodHeartbeat {
  return {
    namespace: 'default',
    agent: 'counter',
    podId,
    state: 'running',
    served,
    tableEpoch: 1,
    startedAt: NOW - 10_000,
    sentAt: NOW,
    ...more,
    load: report(more.load),
  };
}

/** A pod as a driver lists it. */
export function driverPod(podId: string, more: Partial<DriverPod> = {}): DriverPod {
  return { podId, agent: 'counter', namespace: 'default', startedAt: NOW - 10_000, restarts: 0, detail: {}, ...more };
}
