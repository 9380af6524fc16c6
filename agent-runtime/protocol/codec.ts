import { ColonyError } from './errors.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const EMPTY = new Uint8Array(0);

/** JSON value → bytes. `undefined` becomes an empty payload. */
export function encodeJson(value: unknown): Uint8Array {
  if (value === undefined) return EMPTY;
  return encoder.encode(JSON.stringify(value));
}

/**
 * Bytes → JSON value. An empty payload is `undefined`. Malformed input is an
 * `invalid_argument` error naming `what` was being read.
 */
export function decodeJson(bytes: Uint8Array, what: string): unknown {
  if (bytes.byteLength === 0) return undefined;
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch (cause) {
    throw new ColonyError('invalid_argument', `${what} is not valid UTF-8`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new ColonyError('invalid_argument', `${what} is not valid JSON: ${detail}`, { cause });
  }
}
