import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import type { AgentSpec } from '../../controller/manifest/agent-spec.ts';
import { placementUnits } from '../../controller/placement/groups.ts';

/** Files whose change reloads agents: code, and the manifests and JSON next to it. */
const WATCHED = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '.yaml', '.yml']);
/** Folders never watched: dependencies, colony dev's data, version control. */
const IGNORED = new Set(['node_modules', '.colony', '.git']);
/** Changes within this long of each other are one reload (an editor writes a file in several steps). */
export const SETTLE_MS = 200;

/** True when a change of `file` (relative to a watched folder) can change what an agent runs. Pure. */
export function isWatched(file: string): boolean {
  const parts = file.split(sep);
  if (parts.some((part) => IGNORED.has(part) || part.startsWith('.'))) return false;
  return WATCHED.has(extname(file));
}

/**
 * The placement units (an Agent, or a placement group) to restart after `changed` files
 * (absolute paths): those with a member whose module is in a folder a changed file
 * is in or under — its code, the helpers beside it — or whose spec changed. Pure.
 */
export function unitsToRestart(before: readonly AgentSpec[], after: readonly AgentSpec[], changed: readonly string[]): string[] {
  const previous = new Map(before.map((spec) => [spec.name, JSON.stringify(spec)]));
  const touched = (spec: AgentSpec): boolean => {
    const folder = dirname(spec.module);
    return changed.some((file) => {
      const rel = relative(folder, file);
      return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep));
    });
  };
  const restart = new Set<string>();
  for (const unit of placementUnits(after).units) {
    const existed = unit.members.some((m) => previous.has(m.name));
    if (existed && unit.members.some((m) => touched(m) || previous.get(m.name) !== JSON.stringify(m))) restart.add(unit.name);
  }
  return [...restart].sort();
}

/**
 * Watches `dirs` (recursively) and calls `onChange` with the files that changed,
 * once they settled; returns what stops watching. Never throws from a change:
 * `onChange`'s errors are its own to report.
 */
export function watchFolders(dirs: readonly string[], onChange: (files: string[]) => Promise<void>): () => void {
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const flush = (): void => {
    const files = [...pending];
    pending = new Set();
    running = running.then(() => onChange(files)).catch(() => undefined);
  };
  const watchers: FSWatcher[] = dirs.map((dir) =>
    watch(dir, { recursive: true }, (_event, name) => {
      if (name === null || !isWatched(name.toString())) return;
      pending.add(join(dir, name.toString()));
      clearTimeout(timer);
      timer = setTimeout(flush, SETTLE_MS);
    }),
  );
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
