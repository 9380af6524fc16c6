import { ColonyError } from '../protocol/errors.ts';

/** How a stream ends when its pod drains: retryable; the next owner of the key takes the call again. */
export function drainingStreamError(podId: string): ColonyError {
  return new ColonyError('unavailable', `pod ${podId} is draining: the stream ended early; what the method changed until then is kept if it returned; call again`, {
    retryAfterSeconds: 1,
  });
}

/** How a stream ends when its partition moves to another pod (the pod stays): retryable, as for a drain. */
export function movedStreamError(podId: string, partition: number): ColonyError {
  return new ColonyError(
    'unavailable',
    `pod ${podId} handed partition ${partition} over to another pod: the stream ended early; what the method changed until then is kept if it returned; call again`,
    { retryAfterSeconds: 1 },
  );
}
