import type { RoKV } from '@nats-io/kv';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { createInbox } from '@nats-io/nats-core';
import { compareKeys, pageOfKeys } from '../protocol/admin.ts';
import type { ActiveInstancesAnswer, ActiveInstancesQuery } from '../protocol/admin.ts';
import { decodeRecord } from '../protocol/stored-record.ts';
import type { StoredRecord } from '../protocol/stored-record.ts';
import { instanceListSubject, keyOfInstanceKvKey, stateFilter, stateKey } from '../protocol/subjects.ts';
import type { PlacementView } from './placement-view.ts';

/** How long the gateway waits for the pods of an Agent to say which instances they have in memory. */
export const DEFAULT_LIST_TIMEOUT_MS = 2_000;

/** One page of an Agent's instances in memory. */
export interface ActivePage {
  /** In key order, with the pod each one is on. */
  instances: { key: string; pod: string }[];
  /** More follow the last one. */
  more: boolean;
  /** Pods of the placement table that did not answer in time: their instances are missing from the page. */
  unanswered: string[];
}

/** One page of an Agent's stored instances, in key order. */
export interface StoredPage {
  keys: string[];
  more: boolean;
}

export interface InstanceDirectoryOptions {
  /** The bucket of instance records (STATE_BUCKET). */
  records: RoKV;
  placement: Pick<PlacementView, 'owner' | 'pods'>;
  listTimeoutMs?: number;
}

/**
 * Which instances of an Agent there are, for the admin API: those in memory
 * (each pod of the Agent is asked at once, host/instance-listing.ts, and the
 * pages are merged) and those with a stored record (the keys of the state
 * bucket); an instance's stored record, read without waking anything.
 */
export class InstanceDirectory {
  readonly #nc: NatsConnection;
  readonly #namespace: string;
  readonly #records: RoKV;
  readonly #placement: Pick<PlacementView, 'owner' | 'pods'>;
  readonly #timeoutMs: number;

  constructor(nc: NatsConnection, namespace: string, options: InstanceDirectoryOptions) {
    this.#nc = nc;
    this.#namespace = namespace;
    this.#records = options.records;
    this.#placement = options.placement;
    this.#timeoutMs = options.listTimeoutMs ?? DEFAULT_LIST_TIMEOUT_MS;
  }

  /** A pod owns `partition` of `agent` now (placement table): its instances can be in memory. */
  hasOwner(agent: string, partition: number): boolean {
    return typeof this.#placement.owner(agent, partition) === 'string';
  }

  /**
   * The instances in memory after `query.after`, at most `query.limit`: each
   * pod the placement table names answers the first page of its own keys;
   * merged, their first `limit` are the page (no pod can hold a key before
   * them that it did not send). A pod that does not answer within the
   * timeout is named in `unanswered`. No pod at all: an empty page, at once.
   */
  async active(agent: string, query: ActiveInstancesQuery): Promise<ActivePage> {
    const expected = this.#placement.pods(agent);
    if (expected.length === 0) return { instances: [], more: false, unanswered: [] };
    const answers = await this.#ask(instanceListSubject(this.#namespace, agent), JSON.stringify(query), new Set(expected));
    return mergeActive(answers, expected, query.limit);
  }

  /** The keys with a stored record after `query.after`, at most `query.limit`: every key name of the Agent is read (no value), then paged. */
  async stored(agent: string, query: ActiveInstancesQuery): Promise<StoredPage> {
    const keys: string[] = [];
    for await (const kvKey of await this.#records.keys(stateFilter(this.#namespace, agent))) keys.push(keyOfInstanceKvKey(kvKey));
    return pageOfKeys(keys, query.after, query.limit);
  }

  /** The stored record of `agent/key`, or undefined when it has none. */
  async readStored(agent: string, key: string): Promise<StoredRecord | undefined> {
    const entry = await this.#records.get(stateKey(this.#namespace, agent, key));
    if (!entry || entry.operation !== 'PUT') return undefined;
    return decodeRecord(entry.string(), `${agent}/${key}`);
  }

  /** Publishes `data` on `subject` and collects the answers until every pod of `expected` answered, nobody is there, or the timeout. */
  #ask(subject: string, data: string, expected: Set<string>): Promise<ActiveInstancesAnswer[]> {
    const answers: ActiveInstancesAnswer[] = [];
    const inbox = createInbox();
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        subscription.unsubscribe();
        resolve(answers);
      };
      const onAnswer = (msg: Msg): void => {
        // No responders (status 503): no pod of the Agent is subscribed.
        if (msg.headers?.hasError) return finish();
        try {
          const answer = JSON.parse(new TextDecoder().decode(msg.data)) as ActiveInstancesAnswer;
          answers.push(answer);
          expected.delete(answer.pod);
        } catch {
          // Not an answer of a pod: ignored.
        }
        if (expected.size === 0) finish();
      };
      const subscription = this.#nc.subscribe(inbox, { callback: (error, msg) => (error ? finish() : onAnswer(msg)) });
      const timer = setTimeout(finish, this.#timeoutMs);
      try {
        this.#nc.publish(subject, data, { reply: inbox });
      } catch {
        finish();
      }
    });
  }
}

/** The pages of the pods that answered, merged into one of at most `limit` (pure). */
export function mergeActive(answers: readonly ActiveInstancesAnswer[], expected: readonly string[], limit: number): ActivePage {
  const podOf = new Map<string, string>();
  let more = false;
  for (const answer of answers) {
    more ||= answer.more;
    for (const key of answer.keys) if (!podOf.has(key)) podOf.set(key, answer.pod);
  }
  const keys = [...podOf.keys()].sort(compareKeys);
  const answered = new Set(answers.map((answer) => answer.pod));
  return {
    instances: keys.slice(0, limit).map((key) => ({ key, pod: podOf.get(key) as string })),
    more: more || keys.length > limit,
    unanswered: expected.filter((pod) => !answered.has(pod)),
  };
}
