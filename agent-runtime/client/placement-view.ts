import type { KV } from '@nats-io/kv';
import { watchKv } from './kv-watch.ts';
import type { KvWatchHandle } from './kv-watch.ts';
import type { PlacementTable } from '../protocol/placement.ts';
import { partitionOf } from '../protocol/partition.ts';
import { placementKey } from '../protocol/subjects.ts';

/**
 * Partitions of an Agent whose owner changed between two tables; `vacated`
 * are those of them that a pod had before (the pod lost them: moved, drained,
 * died), as opposed to a first owner for a partition nobody served.
 */
export type OwnerChange = (agent: string, partitions: number[], vacated: ReadonlySet<number>) => void;

/**
 * Follows the placement tables of every Agent in a namespace, so a caller
 * learns when the pod that had a partition lost it (moved, drained, died).
 */
export class PlacementView {
  readonly #kv: KV;
  readonly #namespace: string;
  readonly #tables = new Map<string, PlacementTable>();
  readonly #listeners: OwnerChange[] = [];
  #watch: KvWatchHandle | undefined;

  constructor(kv: KV, namespace: string) {
    this.#kv = kv;
    this.#namespace = namespace;
  }

  async start(): Promise<void> {
    this.#watch = watchKv(this.#kv, `${this.#namespace}.*`, (entry) => {
      if (entry.operation !== 'PUT') return;
      try {
        this.#apply(entry.json<PlacementTable>());
      } catch {
        // A malformed table is the controller's problem; callers keep the last good one.
      }
    });
    await this.#watch.ready;
  }

  stop(): void {
    this.#watch?.stop();
  }

  onOwnerChange(listener: OwnerChange): void {
    this.#listeners.push(listener);
  }

  owner(agent: string, partition: number): string | null | undefined {
    return this.#tables.get(agent)?.owners[partition];
  }

  /** The pods the Agent's placement table gives partitions to now, each once (none without a table). */
  pods(agent: string): string[] {
    const owners = this.#tables.get(agent)?.owners ?? [];
    return [...new Set(owners.filter((owner): owner is string => owner !== null))];
  }

  #apply(table: PlacementTable): void {
    const previous = this.#tables.get(table.agent);
    if (previous && previous.epoch >= table.epoch) return;
    this.#tables.set(table.agent, table);
    if (!previous) return;
    const changed: number[] = [];
    const vacated = new Set<number>();
    for (let p = 0; p < table.owners.length; p += 1) {
      // Any change counts: a call may also sit unanswered in the buffer of a paused pod that lost the
      // partition, and is then sent again when the next owner is assigned.
      const before = previous.owners[p] ?? null;
      if (before === (table.owners[p] ?? null)) continue;
      changed.push(p);
      if (before !== null) vacated.add(p);
    }
    if (changed.length === 0) return;
    for (const listener of this.#listeners) listener(table.agent, changed, vacated);
  }
}

/** The pod the placement table gives the partition of `key` to now (undefined: none, or no table). */
export async function ownerOfKey(placement: KV, namespace: string, agent: string, key: string): Promise<string | undefined> {
  const entry = await placement.get(placementKey(namespace, agent));
  if (entry?.operation !== 'PUT') return undefined;
  const table = entry.json<PlacementTable>();
  return table.owners[partitionOf(key, table.partitions)] ?? undefined;
}
