import type { PodHeartbeat } from '../../agent-runtime/protocol/placement.ts';
import type { AgentStatusRecord, PodStatusRecord, ScalingDecisionRecord } from '../../agent-runtime/protocol/registry.ts';
import type { DriverPod, PodExit } from '../drivers/driver.ts';
import type { AgentSpec } from '../manifest/agent-spec.ts';

export type AgentStatus = Omit<AgentStatusRecord, 'updatedAt'>;

export interface DescribeInput {
  spec: AgentSpec;
  /** The pods the driver runs. */
  pods: readonly DriverPod[];
  /** The latest heartbeat of every live pod of the Agent. */
  live: readonly PodHeartbeat[];
  /** Pods that heartbeated and then went silent, and when they were last heard from. */
  silent: readonly { podId: string; lastSeenAt: number }[];
  /** Pods that ended unexpectedly, newest first. */
  exits: readonly PodExit[];
  now: number;
  /** Pods the reconciler chose for removal that still serve partitions. */
  leaving: readonly string[];
  /** The replicas of the last decision; undefined before the first. */
  replicas: number | undefined;
  reason: string;
  /** The placement table's owners (empty before the first table). */
  owners: readonly (string | null)[];
  decisions: readonly ScalingDecisionRecord[];
}

/** The status of an Agent, for the registry (the gateway, the CLI) and the Agent's Kubernetes status. Pure. */
export function describeAgent(input: DescribeInput): AgentStatus {
  const { spec } = input;
  const live = new Map(input.live.map((heartbeat) => [heartbeat.podId, heartbeat]));
  const silent = new Map(input.silent.map((pod) => [pod.podId, pod.lastSeenAt]));
  const pods: PodStatusRecord[] = input.pods.map((pod) => {
    const heartbeat = live.get(pod.podId);
    const silentSince = silent.get(pod.podId);
    const quiet = silentSince === undefined ? undefined : `no heartbeat for ${Math.round((input.now - silentSince) / 1_000)} s; its partitions went to other pods and a new pod was started in its place`;
    const unplaced = pod.unschedulable === undefined ? undefined : `cannot be scheduled: ${pod.unschedulable}`;
    const note = [pod.note, quiet, unplaced].filter((part) => part !== undefined).join('; ');
    return {
      podId: pod.podId,
      state: heartbeat?.state ?? (silentSince === undefined ? 'pending' : 'unresponsive'),
      ...(note && !heartbeat ? { note } : {}),
      ...(pod.unschedulable === undefined ? {} : { unschedulable: pod.unschedulable }),
      // Chosen for removal, told to stop by its driver, or on its way out by itself (a pod that reports draining is not chosen again).
      leaving: input.leaving.includes(pod.podId) || heartbeat?.state === 'draining' || pod.stopping === true,
      served: heartbeat?.served.length ?? 0,
      load: heartbeat?.load,
      startedAt: pod.startedAt,
      restarts: pod.restarts,
      detail: pod.detail,
    };
  });
  const served = input.owners.filter((owner, p) => owner !== null && (live.get(owner)?.served.includes(p) ?? false)).length;
  return {
    namespace: spec.namespace,
    name: spec.name,
    origin: spec.origin,
    desiredReplicas: input.replicas ?? 0,
    reason: input.reason,
    readyReplicas: pods.filter((pod) => pod.state === 'running' && !pod.leaving).length,
    partitions: spec.partitions,
    partitionsServed: served,
    activeInstances: pods.reduce((sum, pod) => sum + (pod.load?.activeInstances ?? 0), 0),
    pods,
    decisions: [...input.decisions],
    exits: [...input.exits],
  };
}

/** True when every partition is served by a running pod (or the Agent is meant to have none); never before the first decision. */
export function isSettled(status: AgentStatus, decided: boolean): boolean {
  if (!decided) return false;
  if (status.desiredReplicas === 0) return status.pods.length === 0;
  return status.readyReplicas >= status.desiredReplicas && status.partitionsServed === status.partitions;
}
