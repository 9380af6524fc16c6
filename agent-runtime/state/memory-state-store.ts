import { StaleStateError } from './state-store.ts';
import type { LoadedState, StateStore } from './state-store.ts';
import { decodeRecord } from '../protocol/stored-record.ts';

/** An in-memory StateStore with the same compare-and-set rules as KV; for unit tests of pure logic. */
export class MemoryStateStore implements StateStore {
  readonly entries = new Map<string, { json: string; revision: number }>();
  #sequence = 0;
  loads = 0;
  saves = 0;

  async load(key: string): Promise<LoadedState> {
    this.loads += 1;
    await Promise.resolve();
    const entry = this.entries.get(key);
    if (!entry) return { record: undefined, revision: 0 };
    return { record: decodeRecord(entry.json, key), revision: entry.revision };
  }

  async save(key: string, recordJson: string, expectedRevision: number): Promise<number> {
    this.saves += 1;
    await Promise.resolve();
    const current = this.entries.get(key)?.revision ?? 0;
    if (current !== expectedRevision) throw new StaleStateError(key);
    this.#sequence += 1;
    this.entries.set(key, { json: recordJson, revision: this.#sequence });
    return this.#sequence;
  }

  /** The stored state of `key`, as a value. */
  stateOf(key: string): unknown {
    const entry = this.entries.get(key);
    return entry ? decodeRecord(entry.json, key).state : undefined;
  }

  /** Writes behind the back of any activation (another pod's write). */
  overwrite(key: string, state: unknown): void {
    this.#sequence += 1;
    this.entries.set(key, { json: JSON.stringify({ v: 1, state, calls: [] }), revision: this.#sequence });
  }
}
