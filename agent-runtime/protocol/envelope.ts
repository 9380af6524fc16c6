import { headers as natsHeaders } from '@nats-io/nats-core';
import type { Msg, MsgHdrs } from '@nats-io/nats-core';
import { decodeJson } from './codec.ts';
import { ColonyError, isErrorCode } from './errors.ts';
import type { ErrorBody } from './errors.ts';
import { decodeKeyHeader, encodeKeyHeader, HEADER, STATUS_OK } from './headers.ts';
import { checkInstanceKey, MAX_CALL_DEPTH } from './limits.ts';

/** Everything a call carries besides its input. */
export interface CallMeta {
  key: string;
  method: string;
  /** Absolute deadline, ms since the Unix epoch. */
  deadline: number;
  callId: string;
  chain: string;
  depth: number;
  traceparent?: string | undefined;
  /** The calling instance, `agent/key`; absent when the caller is not an instance (the gateway). */
  caller?: string | undefined;
  /** One-way: the reply only acknowledges that the callee accepted the call. */
  oneway?: boolean | undefined;
}

const encoder = new TextEncoder();
const HEADER_LINE_BREAK = /[\r\n]/;

/**
 * Headers already encoded in the NATS wire format. nats.js only calls
 * `encode()` on the headers of a message it publishes; building the block
 * once, as a string, costs a fraction of MsgHdrsImpl's per-header
 * validation on the gateway's hot path.
 */
class EncodedHeaders {
  readonly #bytes: Uint8Array;

  constructor(text: string) {
    this.#bytes = encoder.encode(text);
  }

  encode(): Uint8Array {
    return this.#bytes;
  }
}

function headerValue(name: string, value: string): string {
  if (HEADER_LINE_BREAK.test(value)) throw new ColonyError('invalid_argument', `the ${name} of a call must not contain line breaks`);
  return value;
}

export function writeCallHeaders(meta: CallMeta): MsgHdrs {
  let text =
    `NATS/1.0\r\n${HEADER.key}: ${encodeKeyHeader(meta.key)}` +
    `\r\n${HEADER.method}: ${headerValue('method name', meta.method)}` +
    `\r\n${HEADER.deadline}: ${meta.deadline}` +
    `\r\n${HEADER.callId}: ${headerValue('call id', meta.callId)}` +
    `\r\n${HEADER.chain}: ${headerValue('chain id', meta.chain)}` +
    `\r\n${HEADER.depth}: ${meta.depth}`;
  if (meta.traceparent) text += `\r\n${HEADER.traceparent}: ${headerValue('traceparent', meta.traceparent)}`;
  if (meta.caller) text += `\r\n${HEADER.caller}: ${encodeKeyHeader(meta.caller)}`;
  if (meta.oneway) text += `\r\n${HEADER.oneway}: 1`;
  return new EncodedHeaders(`${text}\r\n\r\n`) as unknown as MsgHdrs;
}

/** Reads and checks the headers of an incoming call. Bad headers are `invalid_argument`. */
export function readCallHeaders(h: MsgHdrs | undefined): CallMeta {
  if (!h) throw new ColonyError('invalid_argument', 'the call has no Colony headers');
  const rawKey = h.get(HEADER.key);
  let key: string;
  try {
    key = decodeKeyHeader(rawKey);
  } catch (cause) {
    throw new ColonyError('invalid_argument', `header ${HEADER.key} is not percent-encoded UTF-8`, { cause });
  }
  const keyProblem = checkInstanceKey(key);
  if (keyProblem) throw new ColonyError('invalid_argument', keyProblem);
  const method = h.get(HEADER.method);
  if (!method) throw new ColonyError('invalid_argument', `header ${HEADER.method} is missing`);
  const deadline = Number(h.get(HEADER.deadline));
  if (!Number.isFinite(deadline) || deadline <= 0) {
    throw new ColonyError('invalid_argument', `header ${HEADER.deadline} must be a time in ms since the epoch`);
  }
  const depth = Number(h.get(HEADER.depth) || '0');
  if (!Number.isInteger(depth) || depth < 0) {
    throw new ColonyError('invalid_argument', `header ${HEADER.depth} must be a non-negative integer`);
  }
  if (depth > MAX_CALL_DEPTH) {
    throw new ColonyError(
      'failed_precondition',
      `the call chain is ${depth} calls deep (limit ${MAX_CALL_DEPTH}); look for unbounded recursion between agents`,
    );
  }
  const traceparent = h.get(HEADER.traceparent);
  const rawCaller = h.get(HEADER.caller);
  let caller: string | undefined;
  try {
    caller = rawCaller ? decodeKeyHeader(rawCaller) : undefined;
  } catch (cause) {
    throw new ColonyError('invalid_argument', `header ${HEADER.caller} is not percent-encoded UTF-8`, { cause });
  }
  return {
    key,
    method,
    deadline,
    callId: h.get(HEADER.callId),
    chain: h.get(HEADER.chain),
    depth,
    traceparent: traceparent || undefined,
    caller,
    oneway: h.get(HEADER.oneway) === '1',
  };
}

function statusHeaders(status: string): MsgHdrs {
  const h = natsHeaders();
  h.set(HEADER.status, status);
  return h;
}

/**
 * Headers of a successful reply that states its status. Pods send successful
 * replies with no headers at all (cheaper to write and to read); readReply
 * accepts both.
 */
export const OK_REPLY_HEADERS: MsgHdrs = statusHeaders(STATUS_OK);

const errorHeaders = new Map<string, MsgHdrs>();

/** Headers of an error reply with `code`; one shared, never-mutated instance per code. */
export function errorReplyHeaders(code: string): MsgHdrs {
  let h = errorHeaders.get(code);
  if (!h) {
    h = statusHeaders(code);
    errorHeaders.set(code, h);
  }
  return h;
}

/** Reads a reply: the result bytes, or throws the ColonyError it carries. A reply without headers is a success. */
export function readReply(msg: Msg): Uint8Array {
  const headers = msg.headers;
  if (headers === undefined) return msg.data;
  const status = headers.get(HEADER.status);
  if (status === STATUS_OK) return msg.data;
  if (isErrorCode(status)) {
    throw ColonyError.fromBody(decodeJson(msg.data, 'the error reply') as ErrorBody);
  }
  throw new ColonyError('internal', `the reply has no valid ${HEADER.status} header (got ${JSON.stringify(status ?? null)})`);
}
