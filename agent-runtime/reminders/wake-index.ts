import { jetstreamManager } from '@nats-io/jetstream';
import type { DirectStreamAPI } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { keyOfWakeKey, wakeFilter, wakeKey } from '../protocol/subjects.ts';
import type { WakeEntry } from '../protocol/wake.ts';

/** The durable index of instances to wake, by partition. */
export interface WakeIndex {
  list(partition: number): Promise<{ key: string; entry: WakeEntry }[]>;
  put(partition: number, key: string, entry: WakeEntry): Promise<void>;
  delete(partition: number, key: string): Promise<void>;
}

/**
 * The wake index in the `colony_wake` bucket. Listing a partition is one
 * batched direct get of the last message of each of its keys: no consumer.
 * (`kv.keys()` made an ephemeral consumer per call that the server keeps for
 * five minutes; a pod taking over 64 partitions made 64, and on a real node
 * partition moves reached the stream's 1000 consumers, after which every
 * watch of the bucket failed.)
 */
export class KvWakeIndex implements WakeIndex {
  readonly #kv: KV;
  readonly #nc: NatsConnection;
  readonly #bucket: string;
  readonly #namespace: string;
  readonly #agent: string;
  #direct: Promise<DirectStreamAPI> | undefined;

  constructor(kv: KV, nc: NatsConnection, bucket: string, namespace: string, agent: string) {
    this.#kv = kv;
    this.#nc = nc;
    this.#bucket = bucket;
    this.#namespace = namespace;
    this.#agent = agent;
  }

  async list(partition: number): Promise<{ key: string; entry: WakeEntry }[]> {
    this.#direct ??= jetstreamManager(this.#nc, { checkAPI: false }).then((jsm) => jsm.direct);
    const direct = await this.#direct;
    const prefix = `$KV.${this.#bucket}.`;
    const out: { key: string; entry: WakeEntry }[] = [];
    const last = await direct.getLastMessagesFor(`KV_${this.#bucket}`, { multi_last: [`${prefix}${wakeFilter(this.#namespace, this.#agent, partition)}`] });
    for await (const message of last) {
      const operation = message.header?.get('KV-Operation');
      if (operation === 'DEL' || operation === 'PURGE') continue;
      out.push({ key: keyOfWakeKey(message.subject.slice(prefix.length)), entry: message.json<WakeEntry>() });
    }
    return out;
  }

  async put(partition: number, key: string, entry: WakeEntry): Promise<void> {
    await this.#kv.put(wakeKey(this.#namespace, this.#agent, partition, key), JSON.stringify(entry));
  }

  async delete(partition: number, key: string): Promise<void> {
    await this.#kv.delete(wakeKey(this.#namespace, this.#agent, partition, key));
  }
}
