import type { V1Pod } from '@kubernetes/client-node';

/** The condition reason, Event reason and Ready reason when the scheduler cannot place pods. */
export const UNSCHEDULABLE = 'Unschedulable';

/** Pods of an Agent that the scheduler cannot place, and what it says about one of them. */
export interface UnschedulablePods {
  pods: number;
  of: number;
  message: string;
}

/**
 * What the scheduler said about a pod it could not place (its `PodScheduled`
 * condition is `False` with reason `Unschedulable`), without the preemption
 * note it appends ("preemption: 0/1 nodes are available: …", which only says
 * that evicting other pods would not help either). Undefined for a pod that
 * is placed or not yet tried.
 */
export function schedulerMessage(pod: V1Pod): string | undefined {
  const scheduled = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
  if (scheduled?.status !== 'False' || scheduled.reason !== UNSCHEDULABLE) return undefined;
  const message = (scheduled.message ?? '').split(' preemption: ')[0]?.trim();
  return message || 'no reason given by the scheduler';
}

/**
 * The Agent's pods that cannot be scheduled, from the scheduler's messages
 * the driver copied onto them; undefined when every pod is placed. When the
 * messages differ, the one of the first pod by name is reported, so the
 * report stays the same from one reconcile to the next. Pure.
 */
export function unschedulable(pods: readonly { podId: string; unschedulable?: string | undefined }[]): UnschedulablePods | undefined {
  const stuck = pods.filter((pod) => pod.unschedulable !== undefined).sort((a, b) => a.podId.localeCompare(b.podId));
  const message = stuck[0]?.unschedulable;
  return message === undefined ? undefined : { pods: stuck.length, of: pods.length, message };
}

/** `1 of 2 pods cannot be scheduled: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.` */
export function unschedulableMessage(report: UnschedulablePods): string {
  return `${report.pods} of ${report.of} ${report.of === 1 ? 'pod' : 'pods'} cannot be scheduled: ${report.message}`;
}
