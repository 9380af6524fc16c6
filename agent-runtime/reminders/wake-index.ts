import type { KV } from '@nats-io/kv';
import { keyOfWakeKey, wakeFilter, wakeKey } from '../protocol/subjects.ts';
import type { WakeEntry } from '../protocol/wake.ts';

/** The durable index of instances to wake, by partition. */
export interface WakeIndex {
  list(partition: number): Promise<{ key: string; entry: WakeEntry }[]>;
  put(partition: number, key: string, entry: WakeEntry): Promise<void>;
  delete(partition: number, key: string): Promise<void>;
}

export class KvWakeIndex implements WakeIndex {
  readonly #kv: KV;
  readonly #namespace: string;
  readonly #agent: string;

  constructor(kv: KV, namespace: string, agent: string) {
    this.#kv = kv;
    this.#namespace = namespace;
    this.#agent = agent;
  }

  async list(partition: number): Promise<{ key: string; entry: WakeEntry }[]> {
    const names: string[] = [];
    for await (const name of await this.#kv.keys(wakeFilter(this.#namespace, this.#agent, partition))) names.push(name);
    const out: { key: string; entry: WakeEntry }[] = [];
    for (const name of names) {
      const found = await this.#kv.get(name);
      if (found?.operation !== 'PUT') continue;
      out.push({ key: keyOfWakeKey(name), entry: found.json<WakeEntry>() });
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
