import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isAgentDefinition } from '../sdk/agent.ts';
import type { AnyAgentOptions } from '../sdk/types.ts';
import { isWorkflowDefinition } from '../sdk/workflow.ts';
import type { AnyWorkflowDefinition } from '../sdk/workflow.ts';

/** What an Agent's module exports: an agent (defineAgent) or a workflow (defineWorkflow). */
export type AnyDefinition = AnyAgentOptions | AnyWorkflowDefinition;

const isDefinition = (value: unknown): value is AnyDefinition => isAgentDefinition(value) || isWorkflowDefinition(value);

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
    const where = locateLoadError(cause) ?? (cause instanceof SyntaxError ? locateSyntaxError(absolute) : undefined);
    throw new Error(`agent module ${absolute} failed to load: ${where ? `${where.at}: ` : ''}${message}${hint}${where?.excerpt ?? ''}`, { cause });
  }
  if (exportName) {
    const value = module[exportName];
    if (!isDefinition(value)) {
      throw new Error(`agent module ${absolute} has no export "${exportName}" made with defineAgent or defineWorkflow (spec.export)`);
    }
    return { definition: value, exportName };
  }
  const candidates = Object.entries(module).filter(([, value]) => isDefinition(value));
  if (candidates.length === 1) {
    const [name, definition] = candidates[0] as [string, AnyDefinition];
    return { definition, exportName: name };
  }
  if (candidates.length === 0) {
    throw new Error(`agent module ${absolute} exports no agent definition; export one made with defineAgent (or defineWorkflow) from 'colony'`);
  }
  throw new Error(
    `agent module ${absolute} exports several agent definitions (${candidates.map(([n]) => n).join(', ')}); name one in spec.export`,
  );
}

/**
 * Where a module failed to load, from the error's stack: a syntax error's
 * stack starts with `file:///path:LINE`, the source line and a caret under
 * the column (Node's TypeScript stripping and V8 alike); an error thrown
 * while the module ran names its frames.
 */
export function locateLoadError(error: unknown): { at: string; excerpt?: string } | undefined {
  return locateInStack(error instanceof Error ? (error.stack ?? '') : '');
}

/**
 * V8 keeps the location of a JavaScript module's syntax error out of the
 * error's stack; `node --check` prints it in the same form.
 */
function locateSyntaxError(file: string): { at: string; excerpt?: string } | undefined {
  const checked = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 });
  return checked.status === 0 ? undefined : locateInStack(checked.stderr ?? '');
}

function locateInStack(stack: string): { at: string; excerpt?: string } | undefined {
  // The header is followed by a line or two of context; the source line is the one above the caret.
  const syntax = /^(file:\/\/[^\n]+?|\/[^\n]+?):(\d+)\n((?:[^\n]*\n){1,3}?)( *\^+)\n/.exec(stack);
  if (syntax) {
    const [, file, line, context, caret] = syntax as unknown as [string, string, string, string, string];
    const source = context.trimEnd().split('\n').at(-1) ?? '';
    const path = file.startsWith('file:') ? fileURLToPath(file) : file;
    return { at: `${path}:${line}:${caret.indexOf('^') + 1}`, excerpt: `\n    ${source}\n    ${caret}` };
  }
  const frame = /\((file:\/\/[^)]+?):(\d+):(\d+)\)|at (file:\/\/\S+?):(\d+):(\d+)/.exec(stack);
  if (frame) {
    const file = (frame[1] ?? frame[4]) as string;
    return { at: `${fileURLToPath(file)}:${frame[2] ?? frame[5]}:${frame[3] ?? frame[6]}` };
  }
  return undefined;
}
