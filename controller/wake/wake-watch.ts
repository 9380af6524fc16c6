import type { KV } from '@nats-io/kv';
import { watchKv } from '../../agent-runtime/client/kv-watch.ts';
import type { KvWatchHandle } from '../../agent-runtime/client/kv-watch.ts';
import { errorField } from '../../agent-runtime/observability/log.ts';
import type { StructuredLogger } from '../../agent-runtime/observability/log.ts';
import { agentOfWakeKey, namespaceWakeFilter } from '../../agent-runtime/protocol/subjects.ts';
import { wakeTimeOf } from '../../agent-runtime/protocol/wake.ts';
import type { WakeEntry } from '../../agent-runtime/protocol/wake.ts';

/**
 * The controller's view of the wake index (`colony_wake`) of a namespace: for
 * each Agent, the instances that must be woken and when — reminders, workflow
 * timers, work to resume. An Agent's pods keep their own partitions' part of
 * it; the controller needs it for an Agent with no pods: scaled to zero, it is
 * woken when one of its instances is due, as a waiting call wakes it.
 */
export class WakeWatch {
  readonly #kv: KV;
  readonly #namespace: string;
  readonly #log: StructuredLogger;
  /** agent → index key → the entry. */
  readonly #entries = new Map<string, Map<string, WakeEntry>>();
  #watch: KvWatchHandle | undefined;

  constructor(kv: KV, namespace: string, log: StructuredLogger) {
    this.#kv = kv;
    this.#namespace = namespace;
    this.#log = log;
  }

  async start(): Promise<void> {
    this.#watch = watchKv(
      this.#kv,
      namespaceWakeFilter(this.#namespace),
      (entry) => {
        const agent = agentOfWakeKey(entry.key);
        if (!agent) return;
        let keys = this.#entries.get(agent);
        if (entry.operation !== 'PUT') {
          keys?.delete(entry.key);
          return;
        }
        try {
          const value = entry.json<WakeEntry>();
          if (!keys) {
            keys = new Map();
            this.#entries.set(agent, keys);
          }
          keys.set(entry.key, value);
        } catch {
          // Not a wake entry: the pods' problem, not the controller's.
        }
      },
      (error) => this.#log.warn('the wake index watch ended; restarting it', errorField(error)),
    );
    await this.#watch.ready;
  }

  stop(): void {
    this.#watch?.stop();
  }

  /** The earliest time an instance of `agent` must be woken (`now` for work to resume); undefined when none must. */
  earliest(agent: string, now: number): number | undefined {
    let earliest: number | undefined;
    for (const entry of this.#entries.get(agent)?.values() ?? []) {
      const at = wakeTimeOf(entry, now);
      if (at !== null && (earliest === undefined || at < earliest)) earliest = at;
    }
    return earliest;
  }
}
