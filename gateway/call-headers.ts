import type { IncomingHttpHeaders } from 'node:http';
import type { CallRequest } from '../agent-runtime/client/client.ts';
import type { CallOp } from '../agent-runtime/protocol/envelope.ts';
import { ColonyError } from '../agent-runtime/protocol/errors.ts';
import { DEFAULT_CALL_TIMEOUT_MS, MAX_CALL_TIMEOUT_MS } from '../agent-runtime/protocol/limits.ts';

/** HTTP headers a caller may set on a call, as Node lower-cases them. */
export const REQUEST_HEADER = {
  timeout: 'x-colony-timeout',
  idempotencyKey: 'idempotency-key',
  traceparent: 'traceparent',
  contentType: 'content-type',
} as const;

/** HTTP headers the gateway sets on a call's response. */
export const RESPONSE_HEADER = {
  callId: 'x-colony-call-id',
  /** Present when the call waited for a pod to own its partition, ms. */
  waitMs: 'x-colony-wait-ms',
} as const;

/** Longest Idempotency-Key accepted; it becomes the call id. */
export const MAX_IDEMPOTENCY_KEY_CHARS = 256;

const TIMEOUT_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000 };
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]+$/;
/** W3C trace context, version 00 and later (https://www.w3.org/TR/trace-context/#traceparent-header). */
const TRACEPARENT_PATTERN = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.*)?$/;

const TIMEOUT_FORMAT = 'give milliseconds as an integer (1500) or a duration with a unit (500ms, 5s, 2m)';

function formatMs(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

/**
 * The call timeout in ms from `X-Colony-Timeout`: DEFAULT_CALL_TIMEOUT_MS when
 * absent, else as parseDurationMs reads it.
 */
export function parseTimeoutMs(value: string | string[] | undefined): number {
  return value === undefined ? DEFAULT_CALL_TIMEOUT_MS : parseDurationMs(value, 'header X-Colony-Timeout');
}

/**
 * A duration in ms, as X-Colony-Timeout gives it: an integer is milliseconds;
 * `ms`, `s` and `m` suffixes are units (fractions allowed with a unit:
 * `1.5s`). Zero, garbage, a value given twice, or more than
 * MAX_CALL_TIMEOUT_MS is an invalid_argument error naming where it came from
 * (`name`: "header X-Colony-Timeout", "query parameter wait").
 */
export function parseDurationMs(value: string | string[], name: string): number {
  const text = Array.isArray(value) ? value.join(', ') : value.trim();
  const shown = text.length > 32 ? `${text.slice(0, 32)}…` : text;
  const match = TIMEOUT_PATTERN.exec(text);
  const amount = match?.[1];
  if (match === null || amount === undefined || (match[2] === undefined && amount.includes('.'))) {
    throw new ColonyError('invalid_argument', `${name} is "${shown}"; ${TIMEOUT_FORMAT}`);
  }
  const ms = Math.ceil(Number(amount) * (UNIT_MS[match[2] ?? 'ms'] ?? 1));
  if (ms <= 0) {
    throw new ColonyError('invalid_argument', `${name} is "${shown}"; it must be more than zero`);
  }
  if (ms > MAX_CALL_TIMEOUT_MS) {
    throw new ColonyError(
      'invalid_argument',
      `${name} is "${shown}"; it may be at most ${formatMs(MAX_CALL_TIMEOUT_MS)} (${MAX_CALL_TIMEOUT_MS} ms)`,
    );
  }
  return ms;
}

/**
 * The call id: the caller's `Idempotency-Key` when given (a retry with the
 * same key returns the stored result instead of running again), else a new id.
 */
export function readCallId(value: string | string[] | undefined, newId: () => string): string {
  if (value === undefined) return newId();
  if (typeof value !== 'string' || value.length > MAX_IDEMPOTENCY_KEY_CHARS || !IDEMPOTENCY_KEY_PATTERN.test(value)) {
    throw new ColonyError(
      'invalid_argument',
      `header Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters without spaces (a UUID is a good choice), and given once`,
    );
  }
  return value;
}

/** The caller's `traceparent`, passed on when well-formed; a malformed one is ignored, as W3C trace context asks. */
export function readTraceparent(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value.length <= 512 && TRACEPARENT_PATTERN.test(value) ? value : undefined;
}

/** Which instance a request calls, and what: a method, or with `op` another operation (a workflow verb). */
export interface CallTarget {
  agent: string;
  key: string;
  method: string;
  op?: CallOp | undefined;
}

/** The clock and id source of calls from the edge. */
export interface CallSource {
  now: () => number;
  newCallId: () => string;
}

/**
 * The call a request makes of `target`: its deadline from X-Colony-Timeout,
 * its id from Idempotency-Key (else a new one), its traceparent. A call from
 * outside starts its own chain, at depth 0.
 */
export function callFromRequest(headers: IncomingHttpHeaders, target: CallTarget, input: Uint8Array, source: CallSource): CallRequest {
  const timeoutMs = parseTimeoutMs(headers[REQUEST_HEADER.timeout]);
  const callId = readCallId(headers[REQUEST_HEADER.idempotencyKey], source.newCallId);
  return {
    agent: target.agent,
    key: target.key,
    method: target.method,
    op: target.op,
    input,
    deadline: source.now() + timeoutMs,
    callId,
    chain: callId,
    depth: 0,
    traceparent: readTraceparent(headers[REQUEST_HEADER.traceparent]),
  };
}
