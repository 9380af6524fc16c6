import type { WakeEntry } from '../protocol/wake.ts';
import type { WakeIndex } from '../reminders/wake-index.ts';

/** The wake index in memory, for a test harness: what the `colony_wake` bucket holds on a platform. */
export class MemoryWakeIndex implements WakeIndex {
  readonly #entries = new Map<number, Map<string, WakeEntry>>();

  async list(partition: number): Promise<{ key: string; entry: WakeEntry }[]> {
    return [...(this.#entries.get(partition) ?? [])].map(([key, entry]) => ({ key, entry }));
  }

  async put(partition: number, key: string, entry: WakeEntry): Promise<void> {
    let entries = this.#entries.get(partition);
    if (!entries) this.#entries.set(partition, (entries = new Map()));
    entries.set(key, entry);
  }

  async delete(partition: number, key: string): Promise<void> {
    this.#entries.get(partition)?.delete(key);
  }
}
