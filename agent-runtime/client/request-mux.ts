import { createInbox } from '@nats-io/nats-core';
import type { Msg, MsgHdrs, NatsConnection } from '@nats-io/nats-core';
import { withResent } from '../protocol/envelope.ts';

export type MuxOutcome = Msg | typeof NO_RESPONDERS | typeof TIMED_OUT | typeof CLOSED;

export const NO_RESPONDERS = Symbol('no responders');
export const TIMED_OUT = Symbol('timed out');
export const CLOSED = Symbol('connection closed');

/**
 * A call's headers across its attempts: when the pod a request waited on
 * goes away, the request is sent again with `Colony-Resent` counted up, and
 * later attempts of the same call carry the count on.
 */
export interface CallAttempt {
  headers: MsgHdrs;
  /** Times the call was sent again because the pod it waited on went away. */
  resent: number;
}

interface Waiting {
  resolve: (outcome: MuxOutcome) => void;
  timer: NodeJS.Timeout;
  /** What to publish again if the request may have been lost (see resend). */
  subject: string;
  data: Uint8Array;
  attempt: CallAttempt;
  tag: string | undefined;
}

/**
 * Request/reply over one wildcard inbox subscription, as nats.js's own
 * `request` does, but without its per-request Error objects (a stack capture
 * for the timeout, another for every cancellation): on the gateway's hot path
 * those cost more than the rest of the client. Outcomes are values, not
 * exceptions: the caller decides what a timeout or "no responders" means.
 */
export class RequestMux {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #waiting = new Map<string, Waiting>();
  #subscribed = false;
  #next = 0;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    this.#prefix = `${createInbox()}.`;
    void this.#resendOnReconnect();
  }

  /** Publishes a request and waits for its first reply. `tag` groups requests for resend. */
  request(subject: string, data: Uint8Array, attempt: CallAttempt, timeoutMs: number, tag?: string): Promise<MuxOutcome> {
    if (!this.#subscribed) this.#subscribe();
    this.#next = (this.#next + 1) % Number.MAX_SAFE_INTEGER;
    const token = this.#next.toString(36);
    return new Promise<MuxOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(token);
        resolve(TIMED_OUT);
      }, timeoutMs);
      this.#waiting.set(token, { resolve, timer, subject, data, attempt, tag });
      try {
        this.#nc.publish(subject, data, { reply: this.#prefix + token, headers: attempt.headers });
      } catch {
        clearTimeout(timer);
        this.#waiting.delete(token);
        resolve(CLOSED);
      }
    });
  }

  /**
   * Publishes again every request waiting under `tag`, with the same reply
   * subject: used when the pod that had its partition is gone, so the request
   * reaches the next owner (or finds nobody and is retried) instead of waiting
   * for a reply that will never come. The first reply wins. Without a tag,
   * every waiting request. `vacated`: the pod that had the partition lost it,
   * so each request is counted as sent again after its pod went away (the next
   * owner is told, and a call that keeps killing pods can be stopped).
   */
  resend(tag?: string, vacated = false): number {
    let count = 0;
    for (const [token, waiting] of this.#waiting) {
      if (tag !== undefined && waiting.tag !== tag) continue;
      const { attempt } = waiting;
      if (vacated) {
        attempt.resent += 1;
        attempt.headers = withResent(attempt.headers, attempt.resent);
      }
      try {
        this.#nc.publish(waiting.subject, waiting.data, { reply: this.#prefix + token, headers: attempt.headers });
        count += 1;
      } catch {
        // Closed: the subscription's close resolves everything waiting.
      }
    }
    return count;
  }

  /**
   * A request or its reply may have been lost with the old connection (the
   * server went away while the pod was answering): after a reconnect every
   * waiting request is published again, as for a partition that changed hands.
   */
  async #resendOnReconnect(): Promise<void> {
    for await (const status of this.#nc.status()) {
      if (status.type === 'reconnect') this.resend();
    }
  }

  #subscribe(): void {
    this.#subscribed = true;
    const subscription = this.#nc.subscribe(`${this.#prefix}*`, {
      callback: (error, msg) => {
        if (error) return;
        const token = msg.subject.slice(this.#prefix.length);
        const waiting = this.#waiting.get(token);
        if (!waiting) return;
        this.#waiting.delete(token);
        clearTimeout(waiting.timer);
        // The server answers a request nobody subscribes to with an empty 503 status message.
        const noResponders = msg.data.byteLength === 0 && msg.headers?.code === 503;
        waiting.resolve(noResponders ? NO_RESPONDERS : msg);
      },
    });
    void subscription.closed.then(() => {
      this.#subscribed = false;
      for (const [token, waiting] of this.#waiting) {
        this.#waiting.delete(token);
        clearTimeout(waiting.timer);
        waiting.resolve(CLOSED);
      }
    });
  }
}
