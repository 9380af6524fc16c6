import { encodeJson } from '../protocol/codec.ts';
import { demandSubject } from '../protocol/subjects.ts';
import type { DemandSignal } from '../protocol/placement.ts';

/**
 * At most one demand signal per Agent in this interval: a burst of waiting calls sends a
 * few signals, not one each (the controller wakes an Agent once per signal it has not
 * seen). Short, because a signal dropped here delays a cold start until the next one.
 */
export const DEMAND_INTERVAL_MS = 100;

/**
 * Tells the controller that calls are waiting for an Agent no pod serves
 * (scale from zero, crash). Called by ColonyClient on "no responders";
 * throttled per Agent, so a burst of calls to a cold Agent sends one signal.
 */
export class DemandPublisher {
  readonly #publish: (subject: string, data: Uint8Array) => void;
  readonly #namespace: string;
  readonly #now: () => number;
  readonly #lastSentAt = new Map<string, number>();

  constructor(publish: (subject: string, data: Uint8Array) => void, namespace: string, now: () => number = Date.now) {
    this.#publish = publish;
    this.#namespace = namespace;
    this.#now = now;
  }

  /** Publishes a demand signal for `agent` unless one was sent within DEMAND_INTERVAL_MS. Returns whether it did. */
  signal(agent: string, partition: number): boolean {
    const now = this.#now();
    const last = this.#lastSentAt.get(agent);
    if (last !== undefined && now - last < DEMAND_INTERVAL_MS) return false;
    this.#lastSentAt.set(agent, now);
    const signal: DemandSignal = { namespace: this.#namespace, agent, partition, sentAt: now };
    this.#publish(demandSubject(this.#namespace, agent), encodeJson(signal));
    return true;
  }
}
