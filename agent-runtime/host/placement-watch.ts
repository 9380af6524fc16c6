import type { KV } from '@nats-io/kv';
import { watchKv } from '../client/kv-watch.ts';
import { errorField } from '../observability/log.ts';
import type { StructuredLogger } from '../observability/log.ts';
import type { PlacementTable } from '../protocol/placement.ts';
import { placementKey } from '../protocol/subjects.ts';

/** How often the pod re-reads its placement table besides watching it (a safety net for lost watch updates). */
export const TABLE_POLL_INTERVAL_MS = 2_000;

/** Follows this pod's Agent's placement table: a KV watch, and a read on demand or every few seconds. */
export class PlacementWatch {
  readonly #kv: KV;
  readonly #key: string;
  readonly #apply: (table: PlacementTable) => void;
  readonly #log: StructuredLogger;
  #stop: () => void = () => undefined;
  #stopped = false;

  constructor(kv: KV, namespace: string, agent: string, apply: (table: PlacementTable) => void, log: StructuredLogger) {
    this.#kv = kv;
    this.#key = placementKey(namespace, agent);
    this.#apply = apply;
    this.#log = log;
  }

  /** Resolves once the watch runs and the table was read. */
  async start(): Promise<void> {
    const watch = watchKv(
      this.#kv,
      this.#key,
      (entry) => {
        if (entry.operation === 'PUT') this.#apply(entry.json<PlacementTable>());
      },
      (error) => this.#log.warn('the placement watch ended; restarting it', errorField(error)),
    );
    await watch.ready;
    this.#stop = () => watch.stop();
    await this.read();
  }

  /** Reads the table now (never rejects). */
  async read(): Promise<void> {
    try {
      const entry = await this.#kv.get(this.#key);
      if (entry?.operation === 'PUT') this.#apply(entry.json<PlacementTable>());
    } catch (error) {
      if (!this.#stopped) this.#log.warn('reading the placement table failed', errorField(error));
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#stop();
  }
}
