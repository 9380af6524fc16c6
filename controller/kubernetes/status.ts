import type { KubernetesObject } from '@kubernetes/client-node';
import type { AgentStatus } from '../reconcile/describe.ts';
import type { AgentSpec } from '../manifest/agent-spec.ts';
import { podSelector } from './resources/builders.ts';
import { UNSCHEDULABLE, unschedulable, unschedulableMessage } from './unschedulable.ts';

/** An Agent object as the API server returns it. */
export interface AgentObject extends KubernetesObject {
  spec?: Record<string, unknown>;
  status?: AgentStatusFields;
}

export interface Condition {
  type: 'Ready' | 'Scaling' | 'Degraded';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** The `status` of an Agent (see crd.ts AGENT_STATUS_SCHEMA). */
export interface AgentStatusFields {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  selector?: string;
  /** The placement group whose pods host the Agent (its replicas, pods and partitions are the group's). */
  group?: string;
  activeInstances?: number;
  partitions?: number;
  partitionsServed?: number;
  partitionsSummary?: string;
  scalingReason?: string;
  conditions: Condition[];
}

function condition(
  type: Condition['type'],
  status: Condition['status'],
  reason: string,
  message: string,
  previous: AgentStatusFields | undefined,
  now: number,
  generation: number | undefined,
): Condition {
  const before = previous?.conditions.find((c) => c.type === type);
  // The transition time moves only when the status does, as Kubernetes conventions ask.
  const lastTransitionTime = before && before.status === status ? before.lastTransitionTime : new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
  const out: Condition = { type, status, reason, message, lastTransitionTime };
  if (generation !== undefined) out.observedGeneration = generation;
  return out;
}

/** The reasons of a member of a placement group that is not run as its manifest says (placement/groups.ts). */
export const GROUP_REFUSED = 'PlacementGroupRefused';
export const SETTINGS_IGNORED = 'SettingsIgnored';

/** The status of an Agent from what its controller knows: a pure function. */
export function agentStatus(agent: AgentObject, spec: AgentSpec, status: AgentStatus, previous: AgentStatusFields | undefined, now: number): AgentStatusFields {
  const generation = agent.metadata?.generation;
  const wanted = status.desiredReplicas;
  const served = status.partitionsServed;
  const leaving = status.pods.filter((pod) => pod.leaving).length;
  const restarting = status.pods.filter((pod) => pod.restarts > 0 && pod.state === 'pending');
  const stuck = unschedulable(status.pods);
  const stuckMessage = stuck && unschedulableMessage(stuck);
  // No pod ready because none has a node: the Ready reason (the Status column of `kubectl get agents`) says so.
  const ready =
    wanted === 0
      ? condition('Ready', status.pods.length === 0 ? 'True' : 'False', 'ScaledToZero', 'no pods: the next call starts one', previous, now, generation)
      : served === status.partitions && status.readyReplicas >= Math.min(wanted, 1)
        ? condition('Ready', 'True', 'AllPartitionsServed', `${status.readyReplicas} pods serve all ${status.partitions} partitions`, previous, now, generation)
        : status.readyReplicas === 0 && stuckMessage
          ? condition('Ready', 'False', UNSCHEDULABLE, stuckMessage, previous, now, generation)
          : condition('Ready', 'False', status.readyReplicas === 0 ? 'PodsStarting' : 'PartitionsMoving', `${served}/${status.partitions} partitions served by ${status.readyReplicas} ready pods`, previous, now, generation);
  const scalingNow = status.readyReplicas !== wanted || leaving > 0;
  const scaling = condition(
    'Scaling',
    scalingNow ? 'True' : 'False',
    scalingNow ? (status.readyReplicas < wanted ? 'ScalingUp' : 'ScalingDown') : 'Stable',
    status.reason,
    previous,
    now,
    generation,
  );
  // Every problem is in the message; the reason is the first one's.
  const problems: [string, string][] = [];
  if (stuckMessage) problems.push([UNSCHEDULABLE, stuckMessage]);
  if (restarting.length > 0) problems.push(['PodsRestarting', `pods restarting: ${restarting.map((p) => `${p.podId} (${p.restarts} restarts)`).join(', ')}`]);
  // A member of a group whose own pod settings are not applied: it runs, on pods set up as it did not ask.
  if (status.warning) problems.push([SETTINGS_IGNORED, status.warning]);
  const degraded = problems[0]
    ? condition('Degraded', 'True', problems[0][0], problems.map(([, message]) => message).join('; '), previous, now, generation)
    : condition('Degraded', 'False', 'Healthy', 'no pod is failing', previous, now, generation);
  return {
    observedGeneration: generation,
    replicas: wanted,
    readyReplicas: status.readyReplicas,
    // A group's members select the group's pods.
    selector: podSelector(status.group ?? spec.name),
    ...(status.group === undefined ? {} : { group: status.group }),
    activeInstances: status.activeInstances,
    partitions: status.partitions,
    partitionsServed: served,
    partitionsSummary: `${served}/${status.partitions}`,
    scalingReason: status.reason,
    conditions: [ready, scaling, degraded],
  };
}

/**
 * The status of a member of a placement group that is refused (placement/groups.ts):
 * none of the group's members is run, so it has no pods.
 */
export function refusedStatus(agent: AgentObject, spec: AgentSpec, message: string, previous: AgentStatusFields | undefined, now: number): AgentStatusFields {
  const generation = agent.metadata?.generation;
  return {
    observedGeneration: generation,
    replicas: 0,
    readyReplicas: 0,
    ...(spec.placement.group === undefined ? {} : { group: spec.placement.group }),
    activeInstances: 0,
    conditions: [
      condition('Ready', 'False', GROUP_REFUSED, message, previous, now, generation),
      condition('Degraded', 'True', GROUP_REFUSED, message, previous, now, generation),
    ],
  };
}

/** The status of an Agent whose spec cannot be used. */
export function invalidSpecStatus(agent: AgentObject, message: string, now: number): AgentStatusFields {
  const generation = agent.metadata?.generation;
  const previous = agent.status;
  return {
    ...previous,
    observedGeneration: generation,
    conditions: [
      condition('Ready', 'False', 'InvalidSpec', message, previous, now, generation),
      condition('Degraded', 'True', 'InvalidSpec', message, previous, now, generation),
    ],
  };
}

/**
 * Equal for the purpose of writing: the autoscaler's sentence changes every
 * second while it holds (it counts reports), which is not worth a write per
 * second per Agent; it is written along with any other change.
 */
export function sameStatus(a: AgentStatusFields, b: AgentStatusFields): boolean {
  const strip = (s: AgentStatusFields): unknown => ({
    ...s,
    scalingReason: undefined,
    conditions: s.conditions.map((c) => (c.type === 'Scaling' ? { ...c, message: '' } : c)),
  });
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}
