import { createHash } from 'node:crypto';

const MAX_NAME = 63;

/** A DNS-1123 name from parts; too long ones keep a readable prefix and a short hash of the whole. */
function fit(name: string): string {
  if (name.length <= MAX_NAME) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME - 9).replace(/-+$/, '')}-${hash}`;
}

/** The Deployment running an Agent's pods. */
export function deploymentName(agent: string): string {
  return fit(`${agent}-agent`);
}

/** The ConfigMap with an Agent's runtime settings (not its source: that one is the user's). */
export function configMapName(agent: string): string {
  return fit(`${agent}-agent-settings`);
}

/** The Secret with the NATS token of an Agent's pods (a copy, in the Agent's namespace, of the release's). */
export function natsSecretName(agent: string): string {
  return fit(`${agent}-agent-nats`);
}

/** Where an Agent's source from a ConfigMap is mounted in its pods (inside /app, so `import 'colony'` resolves). */
export function sourceMountPath(agent: string): string {
  return `/app/agents/${agent}`;
}
