import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/nats-core';

/** NATS answered at once that nobody subscribes to the subject. */
export function isNoResponders(error: unknown): boolean {
  return error instanceof NoRespondersError || (error instanceof RequestError && error.isNoResponders());
}

export function isTimeout(error: unknown): boolean {
  return error instanceof TimeoutError || (error instanceof RequestError && error.cause instanceof TimeoutError);
}
