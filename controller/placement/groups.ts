import type { AgentSpec } from '../manifest/agent-spec.ts';
import { AGENT_API_VERSION, AGENT_KIND, resolveAgent } from '../manifest/manifest.ts';

/**
 * What the controller places and scales as one: an Agent of its own, or a
 * placement group — several Agents whose pods host all of them and share one
 * placement table, so instances with the same placement key are on the same
 * pod. Its pod settings (partitions, scaling, drain timeout, image, env,
 * Kubernetes settings) are its lead's: the Agent itself, or the group's first
 * member by name. Its name is the Agent's or the group's: its heartbeats,
 * placement table and pods go by it.
 */
export interface PlacementUnit {
  name: string;
  /** The placement group's name; undefined for an Agent of its own. */
  group: string | undefined;
  /** The spec whose pod settings the unit uses (with `name` the unit's). */
  spec: AgentSpec;
  /** The Agents its pods host, by name: one, or every member of the group. */
  members: AgentSpec[];
}

/** The unit of an Agent placed on its own. */
export function soloUnit(spec: AgentSpec): PlacementUnit {
  return { name: spec.name, group: undefined, spec, members: [spec] };
}

/** A member of a group that is not run as it says, and why (shown in its status and by colony dev). */
export interface GroupProblem {
  agent: string;
  /** The Agent is not run at all (else: it runs, with some of its settings ignored). */
  fatal: boolean;
  message: string;
}

/** The settings of a pod that a group's members share: what a member sets otherwise is ignored, with a warning. */
const POD_SETTINGS: { field: string; of: (spec: AgentSpec) => unknown }[] = [
  { field: 'spec.partitions', of: (s) => s.partitions },
  { field: 'spec.scaling', of: (s) => s.scaling },
  { field: 'spec.drainTimeout', of: (s) => s.drainTimeoutMs },
  { field: 'spec.image', of: (s) => s.image },
  { field: 'spec.env', of: (s) => s.env },
  { field: 'spec.resources', of: (s) => s.kubernetes.resources },
  { field: 'spec.nodeSelector', of: (s) => s.kubernetes.nodeSelector },
  { field: 'spec.tolerations', of: (s) => s.kubernetes.tolerations },
  { field: 'spec.affinity', of: (s) => s.kubernetes.affinity },
  { field: 'spec.serviceAccountName', of: (s) => s.kubernetes.serviceAccountName },
  { field: 'spec.volumes', of: (s) => s.kubernetes.volumes },
  { field: 'spec.volumeMounts', of: (s) => s.kubernetes.volumeMounts },
];

/** JSON with sorted keys: two settings are the same when this is. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  ) ?? 'undefined';
}

/** An Agent that sets nothing: a member whose setting is this default did not set it, and is not warned about it. */
let defaults: AgentSpec | undefined;
function defaultSpec(): AgentSpec {
  defaults ??= resolveAgent({ apiVersion: AGENT_API_VERSION, kind: AGENT_KIND, metadata: { name: 'defaults' }, spec: { module: 'defaults.ts' } }, 'defaults', undefined);
  return defaults;
}

/**
 * Groups the Agents of one namespace into placement units. Pure. A group
 * that has the name of an Agent outside it is refused (its heartbeats and
 * placement table would be that Agent's): its members are not run.
 */
export function placementUnits(specs: readonly AgentSpec[]): { units: PlacementUnit[]; problems: GroupProblem[] } {
  const names = new Set(specs.map((s) => s.name));
  const groups = new Map<string, AgentSpec[]>();
  const units: PlacementUnit[] = [];
  const problems: GroupProblem[] = [];
  for (const spec of specs) {
    const group = spec.placement.group;
    if (group === undefined) {
      units.push(soloUnit(spec));
      continue;
    }
    groups.set(group, [...(groups.get(group) ?? []), spec]);
  }
  for (const [group, list] of groups) {
    const members = [...list].sort((a, b) => a.name.localeCompare(b.name));
    const lead = members[0] as AgentSpec;
    if (names.has(group) && !members.some((m) => m.name === group)) {
      for (const member of members) {
        problems.push({
          agent: member.name,
          fatal: true,
          message: `placement group "${group}" has the name of Agent ${group}, which is not in it; rename the group (spec.placement.group)`,
        });
      }
      continue;
    }
    for (const member of members.slice(1)) {
      const set = (setting: (typeof POD_SETTINGS)[number]): boolean => canonical(setting.of(member)) !== canonical(setting.of(defaultSpec()));
      const differ = POD_SETTINGS.filter((setting) => set(setting) && canonical(setting.of(member)) !== canonical(setting.of(lead))).map((s) => s.field);
      if (differ.length > 0) {
        problems.push({
          agent: member.name,
          fatal: false,
          message: `${differ.join(', ')} of ${member.name} ${differ.length === 1 ? 'is' : 'are'} ignored: the pods of placement group "${group}" take them from ${lead.name}, its first member by name`,
        });
      }
    }
    units.push({ name: group, group, spec: { ...lead, name: group }, members });
  }
  units.sort((a, b) => a.name.localeCompare(b.name));
  return { units, problems };
}
