import { jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { errorField } from '../../agent-runtime/observability/log.ts';
import type { StructuredLogger } from '../../agent-runtime/observability/log.ts';
import type { AgentApiRecord } from '../../agent-runtime/protocol/registry.ts';
import { registryApiKey } from '../../agent-runtime/protocol/subjects.ts';
import { cursorKey, topicStream } from '../../agent-runtime/protocol/topics.ts';

/** How long an Agent's list of subscriptions (from its API record) is trusted before it is read again. */
const SUBSCRIPTIONS_TTL_MS = 10_000;

/** Events not handled yet: the topic's last sequence past the subscription's cursor. A pure function. */
export function lagOf(lastSeq: number, cursor: number): number {
  return Math.max(0, lastSeq - cursor);
}

/**
 * The controller's view of how far behind each Agent's subscriptions are:
 * the events of its topics past their cursors. An Agent with a lag is
 * demanded (woken from zero, kept from scaling to zero) as a waiting call
 * demands it; the lag shows in its status. Subscriptions come from the API
 * record its pods write (code and manifest alike), so an Agent that never
 * ran a pod has none yet.
 */
export class EventLagWatch {
  readonly #nc: NatsConnection;
  readonly #registry: KV;
  readonly #cursors: KV;
  readonly #namespace: string;
  readonly #log: StructuredLogger;
  #jsm: Promise<JetStreamManager> | undefined;
  readonly #subscriptions = new Map<string, { at: number; list: { topic: string; method: string }[] }>();
  #checking = false;

  constructor(nc: NatsConnection, buckets: { registry: KV; cursors: KV }, namespace: string, log: StructuredLogger) {
    this.#nc = nc;
    this.#registry = buckets.registry;
    this.#cursors = buckets.cursors;
    this.#namespace = namespace;
    this.#log = log;
  }

  /**
   * Computes each agent's lag and reports it (0 included); skips a round
   * while the previous one runs. `manifest` are the subscriptions of its
   * manifest (known before any pod ran); those of its code come from its
   * API record.
   */
  async check(agents: { name: string; manifest: { topic: string; method: string }[] }[], now: number, report: (agent: string, lag: number) => void): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      for (const { name: agent, manifest } of agents) {
        const fromCode = await this.#subscriptionsOf(agent, now);
        const subscriptions = [...manifest, ...fromCode.filter((c) => !manifest.some((m) => m.topic === c.topic && m.method === c.method))];
        if (subscriptions.length === 0) continue;
        let lag = 0;
        for (const { topic, method } of subscriptions) lag += lagOf(await this.#lastSeq(topic), await this.#cursor(agent, topic, method));
        report(agent, lag);
      }
    } catch (error) {
      this.#log.debug('checking the event lag failed', errorField(error));
    } finally {
      this.#checking = false;
    }
  }

  async #subscriptionsOf(agent: string, now: number): Promise<{ topic: string; method: string }[]> {
    const known = this.#subscriptions.get(agent);
    if (known && now - known.at < SUBSCRIPTIONS_TTL_MS) return known.list;
    const entry = await this.#registry.get(registryApiKey(this.#namespace, agent));
    const list = entry?.operation === 'PUT' ? (entry.json<AgentApiRecord>().subscriptions ?? []) : [];
    this.#subscriptions.set(agent, { at: now, list });
    return list;
  }

  async #lastSeq(topic: string): Promise<number> {
    this.#jsm ??= jetstreamManager(this.#nc, { checkAPI: false });
    try {
      return (await (await this.#jsm).streams.info(topicStream(this.#namespace, topic))).state.last_seq;
    } catch {
      return 0;
    }
  }

  async #cursor(agent: string, topic: string, method: string): Promise<number> {
    const entry = await this.#cursors.get(cursorKey(this.#namespace, agent, topic, method));
    return entry?.operation === 'PUT' ? (entry.json<{ seq: number }>().seq ?? 0) : 0;
  }
}
