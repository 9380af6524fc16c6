import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isAgentDefinition } from '../sdk/agent.ts';
import type { AnyAgentOptions } from '../sdk/types.ts';

export type AnyDefinition = AnyAgentOptions;

/**
 * Imports an agent module and picks its definition: the export named
 * `exportName`, or else the only export made with defineAgent.
 */
export async function importAgentDefinition(modulePath: string, exportName?: string): Promise<{ definition: AnyDefinition; exportName: string }> {
  const absolute = resolve(modulePath);
  if (!existsSync(absolute)) throw new Error(`agent module ${absolute} does not exist (check spec.module in the Agent manifest)`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (cause) {
    const message = (cause as Error).message;
    const hint = /Cannot use import statement outside a module|Unexpected token 'export'/.test(message)
      ? `; the module uses import/export but its package.json makes it CommonJS (npm init writes "type": "commonjs"): set "type": "module" in the nearest package.json, or name the file .mts`
      : '';
    throw new Error(`agent module ${absolute} failed to load: ${message}${hint}`, { cause });
  }
  if (exportName) {
    const value = module[exportName];
    if (!isAgentDefinition(value)) {
      throw new Error(`agent module ${absolute} has no export "${exportName}" made with defineAgent (spec.export)`);
    }
    return { definition: value, exportName };
  }
  const candidates = Object.entries(module).filter(([, value]) => isAgentDefinition(value));
  if (candidates.length === 1) {
    const [name, definition] = candidates[0] as [string, AnyDefinition];
    return { definition, exportName: name };
  }
  if (candidates.length === 0) {
    throw new Error(`agent module ${absolute} exports no agent definition; export one made with defineAgent from 'colony'`);
  }
  throw new Error(
    `agent module ${absolute} exports several agent definitions (${candidates.map(([n]) => n).join(', ')}); name one in spec.export`,
  );
}
