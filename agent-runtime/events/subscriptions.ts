import { isMethodName } from '../protocol/limits.ts';
import { topicProblem } from '../protocol/topics.ts';
import type { SubscriptionOptions } from '../sdk/types.ts';

/** How many times an event is handed to its method before it goes to the dead-letter topic. */
export const DEFAULT_MAX_ATTEMPTS = 5;
export const MAX_ATTEMPTS_LIMIT = 100;

export interface LoadedSubscription {
  topic: string;
  method: string;
  /** The instance key of an event; throws when it has none. */
  keyOf(event: unknown): string;
  /** How the key is found, for messages: `customerId` or `a function`. */
  keyFrom: string;
  maxAttempts: number;
}

function fieldPath(path: string): (event: unknown) => string {
  const parts = path.split('.');
  return (event) => {
    let value: unknown = event;
    for (const part of parts) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (typeof value !== 'string' || value === '') throw new Error(`the event has no string or number at "${path}"`);
    return value;
  };
}

/** Checks subscriptions against the agent's methods; throws naming the first problem. */
export function loadSubscriptions(agent: string, subscriptions: unknown, methods: ReadonlySet<string>): LoadedSubscription[] {
  if (subscriptions === undefined) return [];
  if (!Array.isArray(subscriptions)) throw new Error(`agent ${agent}: "subscriptions" must be a list of {topic, method, key}`);
  const seen = new Set<string>();
  return subscriptions.map((raw: unknown, i) => {
    const where = `agent ${agent}: subscriptions[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new Error(`${where} must be an object {topic, method, key}`);
    const { topic, method, key, maxAttempts } = raw as Partial<SubscriptionOptions>;
    if (typeof topic !== 'string') throw new Error(`${where}: "topic" must be a string`);
    const problem = topicProblem(topic);
    if (problem) throw new Error(`${where}: ${problem}`);
    if (typeof method !== 'string' || !isMethodName(method)) throw new Error(`${where}: "method" must name a method`);
    if (!methods.has(method)) throw new Error(`${where}: method "${method}" is not a method of the agent (it has ${[...methods].join(', ')})`);
    if (seen.has(`${topic}/${method}`)) throw new Error(`${where}: topic ${topic} is already handled by method ${method}`);
    seen.add(`${topic}/${method}`);
    let keyOf: (event: unknown) => string;
    let keyFrom: string;
    if (typeof key === 'function') {
      keyOf = (event) => {
        const value: unknown = key(event);
        if (typeof value !== 'string' || value === '') throw new Error(`the key function returned ${JSON.stringify(value)}, not a non-empty string`);
        return value;
      };
      keyFrom = 'a function';
    } else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(key)) {
      keyOf = fieldPath(key);
      keyFrom = key;
    } else {
      throw new Error(`${where}: "key" must be a function of the event or the path of a field (e.g. "customerId")`);
    }
    const attempts = maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(attempts) || attempts < 1 || attempts > MAX_ATTEMPTS_LIMIT) throw new Error(`${where}: "maxAttempts" must be an integer from 1 to ${MAX_ATTEMPTS_LIMIT}`);
    return { topic, method, keyOf, keyFrom, maxAttempts: attempts };
  });
}
