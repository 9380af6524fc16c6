import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { headers, nanos } from '@nats-io/nats-core';
import type { NatsConnection } from '@nats-io/nats-core';
import { DEFAULT_KV_REPLICAS } from '../protocol/shared-env.ts';
import { DEFAULT_TOPIC_MAX_AGE_MS, DUPLICATE_WINDOW_MS, topicStream, topicSubject } from '../protocol/topics.ts';
import type { EventSink } from '../events/outbox.ts';

/** An event as it is stored in its topic: the body is the event's JSON; the id and time travel as headers. */
export const EVENT_ID_HEADER = 'Nats-Msg-Id';
export const EVENT_TIME_HEADER = 'Colony-Published-At';

/**
 * The topics of one namespace: a JetStream stream per topic, created on
 * first use (file storage, `replicas` copies, a week of events, a duplicate
 * window that drops an event published again with the same id).
 */
export class TopicStreams implements EventSink {
  readonly #nc: NatsConnection;
  readonly #namespace: string;
  readonly #replicas: number;
  #jsm: Promise<JetStreamManager> | undefined;
  #js: JetStreamClient | undefined;
  readonly #known = new Map<string, Promise<void>>();

  constructor(nc: NatsConnection, namespace: string, options: { replicas?: number } = {}) {
    this.#nc = nc;
    this.#namespace = namespace;
    this.#replicas = options.replicas ?? DEFAULT_KV_REPLICAS;
  }

  manager(): Promise<JetStreamManager> {
    this.#jsm ??= jetstreamManager(this.#nc, { checkAPI: false });
    return this.#jsm;
  }

  /** Makes sure the topic's stream exists (once per process and topic). */
  ensure(topic: string): Promise<void> {
    let known = this.#known.get(topic);
    if (!known) {
      known = this.#create(topic);
      this.#known.set(topic, known);
      known.catch(() => this.#known.delete(topic));
    }
    return known;
  }

  async #create(topic: string): Promise<void> {
    const jsm = await this.manager();
    const name = topicStream(this.#namespace, topic);
    try {
      await jsm.streams.info(name);
      return;
    } catch {
      // Not there yet.
    }
    try {
      await jsm.streams.add({
        name,
        subjects: [topicSubject(this.#namespace, topic)],
        description: `Colony topic ${topic} of namespace ${this.#namespace}`,
        num_replicas: this.#replicas,
        max_age: nanos(DEFAULT_TOPIC_MAX_AGE_MS),
        duplicate_window: nanos(DUPLICATE_WINDOW_MS),
        allow_direct: true,
      });
    } catch (error) {
      // Another process created it meanwhile.
      await jsm.streams.info(name).catch(() => {
        throw new Error(`could not create the stream of topic ${topic} (${name}): ${(error as Error).message}`, { cause: error });
      });
    }
  }

  /** Stores the event; resolves with its sequence in the topic once stored (a repeat of an id gets the first one's). */
  async publish(topic: string, id: string, data: string, at = Date.now()): Promise<void> {
    await this.append(topic, id, data, at);
  }

  async append(topic: string, id: string, data: string | Uint8Array, at = Date.now()): Promise<{ seq: number; duplicate: boolean }> {
    await this.ensure(topic);
    this.#js ??= jetstream(this.#nc);
    const h = headers();
    h.set(EVENT_TIME_HEADER, String(at));
    const ack = await this.#js.publish(topicSubject(this.#namespace, topic), data, { msgID: id, headers: h });
    return { seq: ack.seq, duplicate: ack.duplicate };
  }

  /** The topic's last sequence (0: empty or no such topic). */
  async lastSeq(topic: string): Promise<number> {
    const jsm = await this.manager();
    try {
      return (await jsm.streams.info(topicStream(this.#namespace, topic))).state.last_seq;
    } catch {
      return 0;
    }
  }
}
