import type { KV, KvEntry } from '@nats-io/kv';
import type { AgentApiRecord, AgentSpecRecord, AgentStatusRecord } from '../protocol/registry.ts';
import { parseRegistryKey } from '../protocol/subjects.ts';
import type { PartitionSource } from './client.ts';
import { watchKv } from './kv-watch.ts';
import type { KvWatchHandle } from './kv-watch.ts';

export interface RegistryAgent {
  spec: AgentSpecRecord;
  api: AgentApiRecord | undefined;
  status?: AgentStatusRecord | undefined;
}

/**
 * A live, in-memory view of the registry bucket: which Agents exist in a
 * namespace, their partition counts and their APIs. Entries are merged by KV
 * revision, so the initial listing and the watch may arrive in any order.
 */
export class RegistryView implements PartitionSource {
  readonly #kv: KV;
  readonly #namespace: string;
  readonly #specs = new Map<string, { revision: number; record: AgentSpecRecord | undefined }>();
  readonly #apis = new Map<string, { revision: number; record: AgentApiRecord | undefined }>();
  readonly #statuses = new Map<string, { revision: number; record: AgentStatusRecord | undefined }>();
  #watch: KvWatchHandle | undefined;
  #listeners: (() => void)[] = [];

  constructor(kv: KV, namespace: string) {
    this.#kv = kv;
    this.#namespace = namespace;
  }

  /** Starts watching; resolves once the current contents are loaded. */
  async start(): Promise<void> {
    this.#watch = watchKv(this.#kv, `*.${this.#namespace}.*`, (entry) => this.#apply(entry));
    await this.#watch.ready;
    const keys = await this.#kv.keys(`*.${this.#namespace}.*`);
    const names: string[] = [];
    for await (const key of keys) names.push(key);
    for (const key of names) {
      const entry = await this.#kv.get(key);
      if (entry) this.#apply(entry);
    }
  }

  stop(): void {
    this.#watch?.stop();
  }

  /** Calls `listener` after every change. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  partitionsOf(agent: string): number | undefined {
    return this.#specs.get(agent)?.record?.partitions;
  }

  keyDelimiterOf(agent: string): string | undefined {
    return this.#specs.get(agent)?.record?.keyDelimiter;
  }

  get(agent: string): RegistryAgent | undefined {
    const spec = this.#specs.get(agent)?.record;
    if (!spec) return undefined;
    return { spec, api: this.#apis.get(agent)?.record, status: this.#statuses.get(agent)?.record };
  }

  list(): RegistryAgent[] {
    const out: RegistryAgent[] = [];
    for (const name of [...this.#specs.keys()].sort()) {
      const agent = this.get(name);
      if (agent) out.push(agent);
    }
    return out;
  }

  #apply(entry: KvEntry): void {
    const parsed = parseRegistryKey(entry.key);
    if (!parsed || parsed.namespace !== this.#namespace) return;
    const map = parsed.kind === 'spec' ? this.#specs : parsed.kind === 'api' ? this.#apis : this.#statuses;
    const known = map.get(parsed.agent);
    if (known && known.revision >= entry.revision) return;
    let record: AgentSpecRecord | AgentApiRecord | AgentStatusRecord | undefined;
    if (entry.operation === 'PUT') {
      try {
        record = entry.json();
      } catch {
        record = undefined;
      }
    }
    (map as Map<string, { revision: number; record: typeof record }>).set(parsed.agent, { revision: entry.revision, record });
    for (const listener of this.#listeners) listener();
  }
}
