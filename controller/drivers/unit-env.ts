import { POD_ENV } from '../../agent-runtime/protocol/pod-env.ts';
import type { GroupMemberEnv } from '../../agent-runtime/protocol/pod-env.ts';
import type { AgentSpec } from '../manifest/agent-spec.ts';
import type { PlacementUnit } from '../placement/groups.ts';

/**
 * What a pod of `unit` is told about the Agents it hosts, as environment
 * variables (both drivers write them; the runtime's loadConfig reads them):
 * one Agent's settings, or a placement group's name and its members as JSON.
 * `modulePathOf` says where a member's module is inside the pod.
 */
export function unitEnv(unit: PlacementUnit, modulePathOf: (member: AgentSpec) => string): Record<string, string> {
  const { spec } = unit;
  const shared = {
    [POD_ENV.partitions]: String(spec.partitions),
    [POD_ENV.drainTimeoutMs]: String(spec.drainTimeoutMs),
  };
  if (unit.group !== undefined) {
    const members = unit.members.map(
      (member): GroupMemberEnv => ({
        name: member.name,
        module: modulePathOf(member),
        ...(member.exportName ? { exportName: member.exportName } : {}),
        durability: member.durability,
        idleTimeoutMs: member.idleTimeoutMs,
        retentionMs: member.retentionMs,
        ...(member.subscriptions.length > 0 ? { subscriptions: member.subscriptions } : {}),
        ...(member.placement.keyDelimiter ? { keyDelimiter: member.placement.keyDelimiter } : {}),
      }),
    );
    return { ...shared, [POD_ENV.group]: unit.group, [POD_ENV.groupAgents]: JSON.stringify(members) };
  }
  return {
    ...shared,
    [POD_ENV.agent]: spec.name,
    [POD_ENV.module]: modulePathOf(spec),
    ...(spec.exportName ? { [POD_ENV.exportName]: spec.exportName } : {}),
    [POD_ENV.durability]: spec.durability,
    [POD_ENV.idleTimeoutMs]: String(spec.idleTimeoutMs),
    [POD_ENV.retentionMs]: String(spec.retentionMs),
    ...(spec.subscriptions.length > 0 ? { [POD_ENV.subscriptions]: JSON.stringify(spec.subscriptions) } : {}),
    ...(spec.placement.keyDelimiter ? { [POD_ENV.keyDelimiter]: spec.placement.keyDelimiter } : {}),
  };
}
