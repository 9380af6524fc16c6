import type { KV } from '@nats-io/kv';
import { isWrongLastSequence } from '../client/nats-errors.ts';
import { ColonyError } from '../protocol/errors.ts';
import { stateKey } from '../protocol/subjects.ts';
import { decodeRecord } from '../protocol/stored-record.ts';
import type { StoredRecord } from '../protocol/stored-record.ts';

export interface LoadedState {
  record: StoredRecord | undefined;
  /** KV revision the state was read at; 0 when the key never existed. */
  revision: number;
}

/** Where instance state lives. The KV implementation is the real one; tests of pure logic use a map. */
export interface StateStore {
  load(key: string): Promise<LoadedState>;
  /** Writes if the stored revision is still `expectedRevision`; returns the new revision. */
  save(key: string, recordJson: string, expectedRevision: number): Promise<number>;
}

/** A write lost a compare-and-set: someone else wrote this instance's state since it was loaded. */
export class StaleStateError extends ColonyError {
  constructor(what: string, cause?: unknown) {
    super(
      'unavailable',
      `the state of ${what} was written by another activation since this one loaded it; this activation was dropped, retry the call`,
      { cause, retryAfterSeconds: 1 },
    );
    this.name = 'StaleStateError';
  }
}

export class KvStateStore implements StateStore {
  readonly #kv: KV;
  readonly #namespace: string;
  readonly #agent: string;

  constructor(kv: KV, namespace: string, agent: string) {
    this.#kv = kv;
    this.#namespace = namespace;
    this.#agent = agent;
  }

  async load(key: string): Promise<LoadedState> {
    const entry = await this.#kv.get(stateKey(this.#namespace, this.#agent, key));
    if (!entry) return { record: undefined, revision: 0 };
    if (entry.operation !== 'PUT') return { record: undefined, revision: entry.revision };
    return { record: decodeRecord(entry.string(), `${this.#agent}/${key}`), revision: entry.revision };
  }

  async save(key: string, recordJson: string, expectedRevision: number): Promise<number> {
    try {
      return await this.#kv.put(stateKey(this.#namespace, this.#agent, key), recordJson, { previousSeq: expectedRevision });
    } catch (error) {
      if (isWrongLastSequence(error)) throw new StaleStateError(`${this.#agent}/${key}`, error);
      throw error;
    }
  }
}
