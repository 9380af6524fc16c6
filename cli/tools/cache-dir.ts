import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where Colony keeps tools it builds (nats-server, Kubernetes test binaries): `~/.cache/colony`. */
export function colonyCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.COLONY_CACHE_DIR) return env.COLONY_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'colony');
}
