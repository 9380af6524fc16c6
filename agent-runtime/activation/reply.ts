import type { Msg } from '@nats-io/nats-core';
import { errorReplyHeaders } from '../protocol/envelope.ts';
import { ColonyError } from '../protocol/errors.ts';
import { STATUS_OK } from '../protocol/headers.ts';

const EMPTY = new Uint8Array(0);

/**
 * The outcome of a turn as it crosses the wire and as it is remembered for
 * idempotency: a status (`ok` or an error code) and a JSON body.
 */
export interface Reply {
  status: string;
  /** JSON text; absent for an empty (void) result. */
  body?: string | undefined;
}

export function okReply(result: unknown): Reply {
  const body = result === undefined ? undefined : JSON.stringify(result);
  return body === undefined ? { status: STATUS_OK } : { status: STATUS_OK, body };
}

export function errorReply(error: ColonyError): Reply {
  return { status: error.code, body: JSON.stringify(error.toBody()) };
}

/** Turns whatever a method threw into the error its caller sees. */
export function toColonyError(thrown: unknown, where: string): ColonyError {
  if (thrown instanceof ColonyError) return thrown;
  if (thrown instanceof Error) return new ColonyError('method_failed', `${where} failed: ${thrown.message}`, { cause: thrown });
  return new ColonyError('method_failed', `${where} failed: ${String(thrown)}`, { cause: thrown });
}

/** The reply as a value, or throws the error it carries (for in-process callers). */
export function unwrapReply(reply: Reply): unknown {
  if (reply.status === STATUS_OK) return reply.body === undefined ? undefined : JSON.parse(reply.body);
  throw replyError(reply);
}

/** The error an error reply carries. */
export function replyError(reply: Reply): ColonyError {
  return ColonyError.fromBody(reply.body === undefined ? undefined : JSON.parse(reply.body));
}

/** Answers a NATS request with `reply`: a success carries no headers (see readReply), an error names its code in Colony-Status. */
export function respondWith(msg: Msg, reply: Reply): void {
  // Buffer.from: the same UTF-8 bytes as TextEncoder, from the pooled allocator; they only live until the publish.
  const data = reply.body === undefined ? EMPTY : Buffer.from(reply.body, 'utf8');
  try {
    msg.respond(data, reply.status === STATUS_OK ? undefined : { headers: errorReplyHeaders(reply.status) });
  } catch {
    // The connection is closing; the caller sends the request again or times out.
  }
}
