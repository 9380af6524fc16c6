import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { errorField } from '../observability/log.ts';
import type { StructuredLogger } from '../observability/log.ts';
import { ColonyError } from '../protocol/errors.ts';
import { CursorFloor, retryDelay } from './cursor.ts';
import type { LoadedSubscription } from './subscriptions.ts';
import type { TopicStreams } from '../client/topic-streams.ts';
import { cursorKey, deadLetterTopic, eventCallId, topicStream } from '../protocol/topics.ts';

/** Events of one subscription handled at once (over all keys). */
export const MAX_EVENTS_IN_FLIGHT = 256;
/** How often the cursor is written while events are handled. */
const CURSOR_WRITE_MS = 250;
/** How long one event's call may take. */
const EVENT_CALL_TIMEOUT_MS = 30_000;
/** Errors no retry can fix: the event goes to the dead-letter topic at once. */
const FINAL_CODES = new Set(['invalid_argument', 'payload_too_large']);

export interface PumpDeps {
  nc: NatsConnection;
  namespace: string;
  agent: string;
  topics: TopicStreams;
  cursors: KV;
  /** Calls `method` of instance `key` of this Agent with `input` under `callId`; rejects with a ColonyError. */
  call(key: string, method: string, input: unknown, callId: string, deadline: number): Promise<unknown>;
  log: StructuredLogger;
  now: () => number;
}

interface Pending {
  seq: number;
  data: unknown;
  key: string;
}

/**
 * Hands a topic's events to one subscription's method, on the pod that owns
 * the subscription's partition: in the topic's order for each key (one event
 * of a key at a time), many keys at once, each event with its own call id so
 * that a redelivery takes effect once. The cursor (colony_cursors) says up to
 * where every event was handled; a pump that starts (here after a restart, or
 * on another pod after a move or a crash) goes on from it. An event whose call
 * keeps failing is retried with backoff and, after `maxAttempts`, published to
 * `<topic>-dead-letter` with why.
 */
export class SubscriptionPump {
  readonly #sub: LoadedSubscription;
  readonly #deps: PumpDeps;
  readonly #key: string;
  #floor: CursorFloor | undefined;
  #written = -1;
  #messages: ConsumerMessages | undefined;
  #stopped = false;
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Per key: the events waiting behind the one being handled. */
  readonly #queues = new Map<string, Pending[]>();
  #room: (() => void) | undefined;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(sub: LoadedSubscription, deps: PumpDeps) {
    this.#sub = sub;
    this.#deps = deps;
    this.#key = cursorKey(deps.namespace, deps.agent, sub.topic, sub.method);
  }

  /** How many events of the topic are not handled yet (the subscription's lag), given the topic's last sequence. */
  lag(lastSeq: number): number {
    return Math.max(0, lastSeq - (this.#floor?.floor ?? lastSeq));
  }

  /** Runs until stopped; a consumer that fails or ends (NATS lost, the stream deleted) starts again from the cursor, with backoff. */
  start(): void {
    this.#running ??= (async () => {
      for (let attempt = 1; !this.#stopped; attempt += 1) {
        try {
          await this.#run();
          attempt = 0;
        } catch (error) {
          if (!this.#stopped) this.#deps.log.warn(`the pump of topic ${this.#sub.topic} → ${this.#sub.method} stopped; starting it again from its cursor`, errorField(error));
        }
        if (this.#stopped) return;
        clearInterval(this.#timer);
        // What is in flight ends first: a restart redelivers from the cursor, and a key's events must not overtake each other.
        await Promise.allSettled([...this.#inFlight]);
        this.#queues.clear();
        await this.#saveCursor();
        await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt + 1, 500, 10_000)));
      }
    })();
  }

  async #run(): Promise<void> {
    const { topics, cursors, nc, namespace } = this.#deps;
    await topics.ensure(this.#sub.topic);
    const stored = await cursors.get(this.#key);
    const floor = stored?.operation === 'PUT' ? (stored.json<{ seq: number }>().seq ?? 0) : 0;
    this.#floor = new CursorFloor(floor);
    this.#written = floor;
    if (this.#stopped) return;
    this.#timer = setInterval(() => void this.#saveCursor(), CURSOR_WRITE_MS);
    this.#timer.unref();
    const consumer = await jetstream(nc).consumers.get(topicStream(namespace, this.#sub.topic), {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: floor + 1,
    });
    if (this.#stopped) return;
    this.#messages = await consumer.consume({ max_messages: MAX_EVENTS_IN_FLIGHT });
    for await (const message of this.#messages) {
      if (this.#stopped) break;
      this.#accept(message);
      while ((this.#floor?.inFlight ?? 0) >= MAX_EVENTS_IN_FLIGHT && !this.#stopped) await new Promise<void>((resolve) => (this.#room = resolve));
    }
  }

  #accept(message: JsMsg): void {
    const floor = this.#floor as CursorFloor;
    const seq = message.seq;
    floor.start(seq);
    let data: unknown;
    let key: string;
    try {
      data = message.json();
      key = this.#sub.keyOf(data);
    } catch (error) {
      const noKey = new ColonyError('invalid_argument', `no instance key for the event (key ${this.#sub.keyFrom}): ${(error as Error).message}`);
      this.#track(
        this.#deadLetter(seq, data, '', noKey, 0).then((stored) => {
          if (stored) this.#done(seq);
        }),
      );
      return;
    }
    const queue = this.#queues.get(key);
    if (queue) {
      queue.push({ seq, data, key });
      return;
    }
    this.#queues.set(key, []);
    this.#track(this.#drain({ seq, data, key }));
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  /** Handles `first`, then the events of its key queued meanwhile, in order. */
  async #drain(first: Pending): Promise<void> {
    let next: Pending | undefined = first;
    while (next && !this.#stopped) {
      await this.#handle(next);
      if (this.#stopped) return;
      this.#done(next.seq);
      next = this.#queues.get(first.key)?.shift();
    }
    this.#queues.delete(first.key);
  }

  async #handle(event: Pending): Promise<void> {
    const { method, maxAttempts, topic } = this.#sub;
    const callId = eventCallId(topic, event.seq, method);
    for (let attempt = 1; ; attempt += 1) {
      if (this.#stopped) return;
      try {
        await this.#deps.call(event.key, method, event.data, callId, this.#deps.now() + EVENT_CALL_TIMEOUT_MS);
        return;
      } catch (thrown) {
        const error = thrown instanceof ColonyError ? thrown : new ColonyError('internal', (thrown as Error).message);
        if (attempt >= maxAttempts || FINAL_CODES.has(error.code)) {
          await this.#deadLetter(event.seq, event.data, event.key, error, attempt);
          return;
        }
        const delay = retryDelay(attempt + 1);
        this.#deps.log.warn(`event ${event.seq} of topic ${topic} failed on ${this.#deps.agent}/${event.key}.${method} (attempt ${attempt} of ${maxAttempts}); retrying in ${delay} ms`, { key: event.key, code: error.code, error: error.message });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** Publishes the event to the dead-letter topic, retrying until it is stored (true) or the pump stops (false). */
  async #deadLetter(seq: number, data: unknown, key: string, error: ColonyError, attempts: number): Promise<boolean> {
    const { topic, method } = this.#sub;
    const dead = deadLetterTopic(topic);
    const record = { topic, seq, agent: this.#deps.agent, method, key, attempts, error: { code: error.code, message: error.message }, event: data ?? null };
    this.#deps.log.error(`event ${seq} of topic ${topic} goes to ${dead} after ${attempts} attempts on ${this.#deps.agent}/${key}.${method}: ${error.message}`, { key, code: error.code });
    for (let attempt = 1; !this.#stopped; attempt += 1) {
      try {
        await this.#deps.topics.publish(dead, `dead:${eventCallId(topic, seq, method)}`, JSON.stringify(record));
        return true;
      } catch (publishError) {
        this.#deps.log.warn(`could not publish to ${dead}; retrying`, errorField(publishError));
        await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt + 1)));
      }
    }
    return false;
  }

  #done(seq: number): void {
    this.#floor?.done(seq);
    const room = this.#room;
    this.#room = undefined;
    room?.();
  }

  async #saveCursor(): Promise<void> {
    const floor = this.#floor?.floor;
    if (floor === undefined || floor === this.#written) return;
    try {
      await this.#deps.cursors.put(this.#key, JSON.stringify({ seq: floor, at: this.#deps.now() }));
      this.#written = floor;
    } catch (error) {
      this.#deps.log.warn(`could not save the cursor of topic ${this.#sub.topic} → ${this.#sub.method}`, errorField(error));
    }
  }

  /** Stops taking events, lets those in flight end (up to `graceMs`), and saves the cursor. */
  async stop(graceMs = 5_000): Promise<void> {
    this.#stopped = true;
    this.#room?.();
    clearInterval(this.#timer);
    await this.#messages?.close().catch(() => undefined);
    const inFlight = Promise.all([...this.#inFlight]);
    await Promise.race([inFlight, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    await this.#saveCursor();
    await this.#running;
  }
}
