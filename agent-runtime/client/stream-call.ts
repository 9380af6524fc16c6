import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { readStreamMessage } from '../protocol/envelope.ts';
import { ColonyError } from '../protocol/errors.ts';
import type { ErrorBody } from '../protocol/errors.ts';
import { STATUS_OK } from '../protocol/headers.ts';
import { ConsumerWindow, encodeControl, outOfOrder } from '../protocol/stream.ts';
import type { StreamMessage } from '../protocol/stream.ts';
import { streamControlSubject } from '../protocol/subjects.ts';
import { decodeJson } from '../protocol/codec.ts';

/**
 * How long past the call's deadline the caller waits for the end of a stream
 * before it gives up: the pod ends a stream at the deadline itself, so
 * silence past this means the pod went away (killed, cut off).
 */
export const STREAM_END_GRACE_MS = 2_000;

/**
 * How long after the partition of a stream's pod changed hands the caller
 * still waits for the stream's end: a pod that drains or hands the partition
 * over ends its streams itself (a retryable error saying so), usually just
 * before; one that died never will.
 */
export const STREAM_LOST_GRACE_MS = 2_000;

/**
 * The caller's end of one streamed reply (protocol/stream.ts): buffers what
 * arrives on the inbox (at most the granted window), yields the chunks in
 * order, grants credit as they are consumed, and throws the error the stream
 * ends with. Consuming a chunk means asking for the next one: a caller that
 * stops asking stops the pod after the window.
 */
export class ChunkReader implements AsyncIterable<Uint8Array> {
  readonly #nc: NatsConnection;
  readonly #inbox: string;
  readonly #window: ConsumerWindow;
  readonly #deadline: number;
  readonly #now: () => number;
  readonly #subscription: Subscription;
  readonly #buffer: StreamMessage[] = [];
  #wake: (() => void) | undefined;
  #expected = 1;
  #finished = false;
  #lost: ColonyError | undefined;
  #lostTimer: NodeJS.Timeout | undefined;
  readonly #onClose: (() => void) | undefined;
  /** Chunks yielded so far. */
  received = 0;

  constructor(nc: NatsConnection, inbox: string, window: number, deadline: number, now: () => number, onClose?: () => void) {
    this.#nc = nc;
    this.#onClose = onClose;
    this.#inbox = inbox;
    this.#window = new ConsumerWindow(window);
    this.#deadline = deadline;
    this.#now = now;
    this.#subscription = nc.subscribe(inbox, {
      callback: (error, msg) => {
        if (error) return;
        try {
          this.#buffer.push(readStreamMessage(msg));
        } catch {
          return;
        }
        this.#wake?.();
      },
    });
  }

  /** Stops listening (the call was answered without a stream, or the reader is done). */
  close(): void {
    if (!this.#subscription.isClosed()) this.#subscription.unsubscribe();
    this.#finished = true;
    clearTimeout(this.#lostTimer);
    this.#onClose?.();
    this.#wake?.();
  }

  /**
   * The partition of the pod sending this stream changed hands: unless the
   * stream's end arrives within STREAM_LOST_GRACE_MS, the reader fails with
   * `error` after the chunks that did arrive.
   */
  lost(error: ColonyError): void {
    if (this.#finished || this.#lostTimer) return;
    this.#lostTimer = setTimeout(() => {
      this.#lost = error;
      this.#wake?.();
    }, STREAM_LOST_GRACE_MS);
  }

  /** Tells the pod the reader went away: the method's signal is aborted. */
  cancel(reason: string): void {
    if (this.#finished) return;
    this.#control(encodeControl({ cancel: reason }));
    this.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      for (;;) {
        const message = await this.#next();
        const gap = outOfOrder(this.#expected, message);
        if (gap) throw gap;
        this.#expected += 1;
        if (message.kind === 'end') {
          this.#finished = true;
          if (message.status === STATUS_OK) return;
          throw ColonyError.fromBody(decodeJson(message.data, 'the end of a streamed reply') as ErrorBody);
        }
        this.received += 1;
        yield message.data;
        // Asked for the next: the one before was consumed.
        const grant = this.#window.consumed();
        if (grant > 0) this.#control(encodeControl({ credit: grant }));
      }
    } finally {
      if (!this.#finished) this.cancel('the reader stopped');
      else this.close();
    }
  }

  async #next(): Promise<StreamMessage> {
    for (;;) {
      const message = this.#buffer.shift();
      if (message) return message;
      if (this.#finished) throw new ColonyError('cancelled', 'the stream was closed by its reader');
      if (this.#lost) throw this.#lost;
      const left = this.#deadline + STREAM_END_GRACE_MS - this.#now();
      if (left <= 0) {
        throw new ColonyError(
          'deadline_exceeded',
          `the stream did not end by its deadline (after ${this.received} chunks); the pod sending it may have gone away; call again`,
        );
      }
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.#wake = undefined;
    }
  }

  #control(text: string): void {
    try {
      this.#nc.publish(streamControlSubject(this.#inbox), text);
    } catch {
      // Closed: the pod ends the stream at its deadline.
    }
  }
}
