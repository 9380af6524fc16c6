import { ColonyError } from '../protocol/errors.ts';

/**
 * An instance's state is stored as JSON. These checks refuse what JSON would
 * silently lose or turn into something else, so a turn that leaves such a
 * state fails and the state stays as it was, instead of storing `null` or
 * `{}` that every later call then trips over.
 */

/** The state as JSON text; throws `method_failed` naming the problem and where it is. */
export function stateToJson(state: unknown, where: string): string {
  const top = describeUnstorable(state);
  if (top) throw unstorable(where, `the state is ${top}`);
  let json: string | undefined;
  try {
    json = JSON.stringify(state);
  } catch (cause) {
    throw unstorable(where, `the state cannot be turned into JSON (${(cause as Error).message})`, cause);
  }
  if (json === undefined) throw unstorable(where, 'the state cannot be turned into JSON');
  // Maps, Sets and other objects with no own enumerable properties turn into `{}`: only then is it worth a walk.
  if (json.includes('{}')) {
    const found = findLossy(state, 'state', new Set());
    if (found) throw unstorable(where, `${found.path} is ${found.what}, which JSON stores as {}`);
  }
  return json;
}

function unstorable(where: string, problem: string, cause?: unknown): ColonyError {
  return new ColonyError(
    'method_failed',
    `the state of ${where} cannot be stored: ${problem}; the turn was rolled back and the state is as it was. Keep the state a plain JSON value (objects, arrays, strings, numbers, booleans, null)`,
    cause === undefined ? {} : { cause },
  );
}

function describeUnstorable(value: unknown): string | undefined {
  switch (typeof value) {
    case 'undefined':
      return 'undefined (was ctx.state assigned undefined, or a method result?)';
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    case 'bigint':
      return 'a BigInt';
    default:
      return undefined;
  }
}

/** The first value under `value` that JSON.stringify writes as `{}` although it holds something. */
function findLossy(value: unknown, path: string, seen: Set<object>): { path: string; what: string } | undefined {
  if (typeof value !== 'object' || value === null || seen.has(value)) return undefined;
  seen.add(value);
  if (value instanceof Map) return { path, what: 'a Map' };
  if (value instanceof Set) return { path, what: 'a Set' };
  if (value instanceof WeakMap || value instanceof WeakSet) return { path, what: `a ${value.constructor.name}` };
  if (value instanceof Promise) return { path, what: 'a Promise (was an await forgotten?)' };
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = findLossy(value[i], `${path}[${i}]`, seen);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, child] of Object.entries(value)) {
    const found = findLossy(child, `${path}.${key}`, seen);
    if (found) return found;
  }
  return undefined;
}

/** Bytes of `text` as UTF-8: at most 3 per UTF-16 unit, so a caller may skip counting when `length * 3` fits. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** `1,234,567 bytes` */
export function formatBytes(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} bytes`;
}
