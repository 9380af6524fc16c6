import { fileURLToPath } from 'node:url';

/**
 * Whether this copy of Colony runs from its TypeScript sources (the repository, or a checkout
 * installed by path) or from the JavaScript that `npm pack` compiles into `dist/` (an installed
 * package: Node strips no types under `node_modules`). Decision 24.
 */
export const RUNS_FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * The path of one of Colony's own modules that runs as a process or a thread of its own, named
 * by its source (`./worker.ts`) relative to `base` (the caller's `import.meta.url`): compiled, the
 * `.js` file in its place.
 */
export function ownModule(source: string, base: string): string {
  return fileURLToPath(new URL(RUNS_FROM_SOURCE ? source : source.replace(/\.ts$/, '.js'), base));
}

/**
 * Node's options for a process of Colony's that loads agent code (a pod, the code check), so that
 * the agent's `import 'colony'` gets the very SDK modules the process runs: from the sources, the
 * `colony-source` condition of package.json's `exports` (its default is the compiled `dist/`).
 */
export const AGENT_NODE_OPTIONS: readonly string[] = RUNS_FROM_SOURCE ? ['--conditions=colony-source'] : [];
