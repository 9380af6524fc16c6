import { ColonyError } from './errors.ts';
import { MESSAGE_HEADROOM_BYTES } from './limits.ts';

/**
 * Streamed replies over NATS (decision 21). The pieces both ends share, all
 * pure; the pod's side is agent-runtime/stream/, the caller's
 * client/stream-call.ts.
 *
 * 1. The caller subscribes to a fresh inbox and sends the call as a request,
 *    with `Colony-Stream: <inbox>` and `Colony-Credit: <window>`.
 * 2. A method that streams (returns an async iterable, or writes to
 *    `ctx.stream`) gets its request answered with `Colony-Stream: open`; one
 *    that does not is answered as any call is, and the inbox stays unused.
 * 3. The pod publishes each chunk (JSON) to the inbox with `Colony-Seq: n`
 *    (1, 2, …), never more than the caller granted, and then the end: the
 *    next sequence number with `Colony-Status` (`ok`, or an error code and
 *    the error's JSON as the body).
 * 4. The caller grants more credit, or cancels, on the control subject
 *    `<inbox>.ctl` (subjects.ts), which the pod subscribes to while the
 *    stream is open: `{"credit": n}`, `{"cancel": "why"}`.
 */

/** Chunks a caller lets a pod send ahead of what it consumed, unless it says otherwise. */
export const DEFAULT_STREAM_WINDOW = 16;
/** Most a caller may grant at once. */
export const MAX_STREAM_WINDOW = 1024;
/** The value of `Colony-Stream` on the answer to a request whose method streams. */
export const STREAM_OPEN = 'open';

/** What a caller sends on the control subject. */
export type StreamControl = { credit: number } | { cancel: string };

export function encodeControl(control: StreamControl): string {
  return JSON.stringify(control);
}

/** A control message, or undefined for one this side does not understand (it is ignored). */
export function decodeControl(text: string): StreamControl | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { credit, cancel } = value as Record<string, unknown>;
  if (typeof cancel === 'string') return { cancel };
  if (Number.isInteger(credit) && (credit as number) > 0 && (credit as number) <= MAX_STREAM_WINDOW) return { credit: credit as number };
  return undefined;
}

/** The credit a call asks for (`Colony-Credit`): a whole number from 1 to MAX_STREAM_WINDOW. */
export function parseCredit(value: string): number {
  const credit = Number(value);
  if (!Number.isInteger(credit) || credit < 1 || credit > MAX_STREAM_WINDOW) {
    throw new ColonyError('invalid_argument', `header Colony-Credit must be a whole number from 1 to ${MAX_STREAM_WINDOW}, not ${JSON.stringify(value)}`);
  }
  return credit;
}

/** Why chunk `seq` of `where`, `bytes` long as JSON, cannot be sent in one message, or undefined when it can. */
export function oversizedChunk(where: string, seq: number, bytes: number, maxPayloadBytes: number): string | undefined {
  const limit = maxPayloadBytes - MESSAGE_HEADROOM_BYTES;
  if (bytes <= limit) return undefined;
  return `chunk ${seq} of ${where} is ${bytes.toLocaleString('en-US')} bytes as JSON, over the ${limit.toLocaleString('en-US')} bytes one message can carry (the NATS server's max_payload less room for headers); send smaller chunks`;
}

/** A chunk as JSON text; a value JSON cannot hold (undefined, a function, a BigInt, a cycle) is a method_failed error. */
export function chunkJson(where: string, seq: number, chunk: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(chunk);
  } catch (cause) {
    throw new ColonyError('method_failed', `chunk ${seq} of ${where} is not JSON: ${(cause as Error).message}`, { cause });
  }
  if (json === undefined) throw new ColonyError('method_failed', `chunk ${seq} of ${where} is ${typeof chunk}; chunks are JSON values (use null for nothing)`);
  return json;
}

/**
 * The producer's credit: how many chunks it may still send. Starts at what the
 * call asked for; each grant adds; each chunk sent takes one.
 */
export class ProducerCredit {
  #available: number;

  constructor(initial: number) {
    this.#available = initial;
  }

  get available(): number {
    return this.#available;
  }

  grant(n: number): void {
    this.#available += n;
  }

  /** Takes one credit; false when there is none (wait for a grant). */
  take(): boolean {
    if (this.#available <= 0) return false;
    this.#available -= 1;
    return true;
  }
}

/**
 * The consumer's window: it grants again once it consumed half of what it
 * last granted, so the producer is never stopped while the consumer keeps up,
 * and never more than `window` chunks are in flight or buffered.
 */
export class ConsumerWindow {
  readonly window: number;
  #ungranted = 0;

  constructor(window: number) {
    this.window = window;
  }

  /** One chunk was consumed; returns the credit to grant now (0: none yet). */
  consumed(): number {
    this.#ungranted += 1;
    if (this.#ungranted < Math.max(1, Math.floor(this.window / 2))) return 0;
    const grant = this.#ungranted;
    this.#ungranted = 0;
    return grant;
  }
}

/** What a message on a stream's inbox is: chunk `seq`, or the end with its status and body. */
export type StreamMessage = { kind: 'chunk'; seq: number; data: Uint8Array } | { kind: 'end'; seq: number; status: string; data: Uint8Array };

/**
 * Checks that messages arrive in order: returns the error for a gap or a
 * repeat (a message lost between pod and caller), undefined when `message` is the next.
 */
export function outOfOrder(expected: number, message: StreamMessage): ColonyError | undefined {
  if (message.seq === expected) return undefined;
  return new ColonyError('unavailable', `the stream's message ${message.seq} arrived where ${expected} was expected: a message was lost between the pod and the caller (a NATS reconnect?); call again`, { retryAfterSeconds: 1 });
}
