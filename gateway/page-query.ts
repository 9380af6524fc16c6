import { ColonyError } from '../agent-runtime/protocol/errors.ts';

/** The value of query parameter `name`, given once at most; given more than once is a 400. */
export function queryValue(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ColonyError('invalid_argument', `the query parameter ${name} is given more than once; give it once`);
  return value;
}

/** The `limit` of a list request: `fallback` when absent, else a whole number from 1 to `max` (a 400 naming it otherwise). */
export function pageLimit(text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const limit = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!(limit >= 1 && limit <= max)) throw new ColonyError('invalid_argument', `the query parameter limit is "${text.slice(0, 32)}"; give a whole number from 1 to ${max}`);
  return limit;
}
