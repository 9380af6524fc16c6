import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/nats-core';

/** NATS answered at once that nobody subscribes to the subject. */
export function isNoResponders(error: unknown): boolean {
  return error instanceof NoRespondersError || (error instanceof RequestError && error.isNoResponders());
}

export function isTimeout(error: unknown): boolean {
  return error instanceof TimeoutError || (error instanceof RequestError && error.cause instanceof TimeoutError);
}

const WRONG_LAST_SEQUENCE = 10071;

/**
 * JetStream refused a write that expected another last sequence (of a KV key, or of a
 * stream subject): someone else wrote first. The KV client puts the code on the error,
 * a stream publish under `api_error`.
 */
export function isWrongLastSequence(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, api_error: api } = error as { code?: unknown; api_error?: { err_code?: unknown } };
  return code === WRONG_LAST_SEQUENCE || api?.err_code === WRONG_LAST_SEQUENCE;
}
