import type { AgentDefinition, AgentOptions, MethodFn } from './types.ts';

const DEFINITION = Symbol.for('colony.agent-definition');

/**
 * Defines an agent. The result is a plain value: export it from the module
 * named in the Agent manifest (`spec.module`), and import its type elsewhere to
 * get typed calls: `ctx.call<typeof counter>('counter', 'alice').increment({ by: 1 })`.
 */
export function defineAgent<S, M extends Record<string, MethodFn<S>>>(options: AgentOptions<S, M>): AgentDefinition<S, M> {
  return Object.freeze({ ...options, [DEFINITION]: true }) as unknown as AgentDefinition<S, M>;
}

/** True when `value` was made by defineAgent (in any copy of the SDK). */
export function isAgentDefinition(value: unknown): value is AgentDefinition<unknown, Record<string, MethodFn<unknown>>> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DEFINITION] === true;
}
