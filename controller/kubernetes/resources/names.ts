import { createHash } from 'node:crypto';

const MAX_NAME = 63;

/** A DNS-1123 name from parts; too long ones keep a readable prefix and a short hash of the whole. */
function fit(name: string): string {
  if (name.length <= MAX_NAME) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME - 9).replace(/-+$/, '')}-${hash}`;
}

// The workload's objects go by the placement unit's name: the Agent's, or its placement group's (placement/groups.ts).

/** The Deployment running a unit's pods. */
export function deploymentName(unit: string): string {
  return fit(`${unit}-agent`);
}

/** The ConfigMap with a unit's runtime settings (not its source: that one is the user's). */
export function configMapName(unit: string): string {
  return fit(`${unit}-agent-settings`);
}

/** The Secret with the NATS token of a unit's pods (a copy, in its namespace, of the release's). */
export function natsSecretName(unit: string): string {
  return fit(`${unit}-agent-nats`);
}

/** Where an Agent's source from a ConfigMap is mounted in its pods (inside /app, so `import 'colony'` resolves). */
export function sourceMountPath(agent: string): string {
  return `/app/agents/${agent}`;
}

/**
 * The volume of an Agent's source in its pods: `agent-source` in the pods of
 * an Agent of its own (as before placement groups, so its pods do not roll);
 * one per member, by the member's name, in a group's.
 */
export function sourceVolumeName(agent: string, inGroup: boolean): string {
  return inGroup ? fit(`${agent}-source`) : 'agent-source';
}
