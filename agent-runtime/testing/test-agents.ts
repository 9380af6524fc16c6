import { randomUUID } from 'node:crypto';
import { callInProcess } from '../activation/caller.ts';
import type { OutgoingCall } from '../activation/caller.ts';
import { Catalog } from '../activation/catalog.ts';
import { loadAgent } from '../activation/loaded-agent.ts';
import { replyError } from '../activation/reply.ts';
import { createLogger } from '../observability/log.ts';
import type { LogLine } from '../observability/log.ts';
import { ColonyError } from '../protocol/errors.ts';
import { STATUS_OK } from '../protocol/headers.ts';
import { checkInstanceKey, DEFAULT_CALL_TIMEOUT_MS, DEFAULT_MAX_PAYLOAD_BYTES } from '../protocol/limits.ts';
import type { Durability } from '../protocol/pod-env.ts';
import { decodeRecord } from '../protocol/stored-record.ts';
import { ReminderScheduler } from '../reminders/scheduler.ts';
import type { CallOptions, ReminderInfo } from '../sdk/context.ts';
import type { AgentDefinition, AnyAgentDefinition, CallClient, SendClient } from '../sdk/types.ts';
import { isWorkflowDefinition } from '../sdk/workflow.ts';
import { MemoryStateStore } from '../state/memory-state-store.ts';
import { MemoryWakeIndex } from './memory-wake-index.ts';
import { TestClock } from './test-clock.ts';

/** Every instance of a harness is in this partition: there is one "pod", which serves them all. */
const PARTITION = 0;
/** The reminder scheduler re-arms at least this often; the test clock has no timer limit, so once a year of test time. */
const MAX_SLEEP_MS = 365 * 86_400_000;

export interface TestAgentsOptions {
  /** Where the clock starts, ms since the epoch (default: the real time when the harness is made). */
  startTime?: number;
  /** How turns persist state, as the manifest's `spec.durability`: `turn` (default), `async` or `none`. */
  durability?: Durability;
  /** Print log lines (JSON) as they come; they are kept in `logs` either way. */
  printLogs?: boolean;
}

/** An event a committed turn published with `ctx.publish`. */
export interface PublishedEvent {
  topic: string;
  id: string;
  event: unknown;
}

/** The state type of an agent definition. */
export type StateOf<D> = D extends AgentDefinition<infer S, infer _M> ? S : never;

interface HostedInTest {
  catalog: Catalog;
  store: MemoryStateStore;
  scheduler: ReminderScheduler;
}

/**
 * Agents run in this process for a unit test, with the runtime's own
 * catalog, activations, turns, commits and reminder scheduler, on an
 * in-memory state store and a test clock: no nats-server, no pods. Calls
 * between its agents are dispatched to each other in-process (their input and
 * result through JSON, as on a platform); a failed call rejects with the
 * ColonyError (code, message) a caller over HTTP or NATS would get.
 */
export class TestAgents<M extends Record<string, AnyAgentDefinition>> {
  /** The harness's time: `await clock.advance(ms)` fires due reminders and timers. */
  readonly clock: TestClock;
  /** What the agents logged (ctx.log) and what the runtime logged about them. */
  readonly logs: LogLine[] = [];
  readonly #agents = new Map<string, HostedInTest>();
  readonly #published: PublishedEvent[] = [];
  /** Wake-ups (reminder fires) under way. */
  readonly #waking = new Set<Promise<void>>();

  constructor(definitions: M, options: TestAgentsOptions = {}) {
    this.clock = new TestClock(options.startTime ?? Date.now(), () => this.idle());
    const log = createLogger({
      level: 'debug',
      sink: (line) => {
        this.logs.push(line);
        if (options.printLogs) process.stdout.write(`${JSON.stringify(line)}\n`);
      },
    });
    const caller = { call: (request: OutgoingCall) => this.#route(request) };
    const events = {
      publish: async (topic: string, id: string, data: string): Promise<void> => {
        this.#published.push({ topic, id, event: JSON.parse(data) });
      },
    };
    for (const [name, definition] of Object.entries(definitions)) {
      if (isWorkflowDefinition(definition)) {
        throw new Error(`${name} is a workflow: colony/testing runs agents (defineAgent) only so far; test workflows with colony dev`);
      }
      const store = new MemoryStateStore();
      const scheduler: ReminderScheduler = new ReminderScheduler({
        index: new MemoryWakeIndex(),
        wake: (key, partition) => this.#wake(catalog, key, partition),
        log,
        now: this.clock.now,
        timers: this.clock,
        maxSleepMs: MAX_SLEEP_MS,
      });
      const catalog: Catalog = new Catalog({
        podId: 'test',
        agent: loadAgent(name, definition),
        store,
        durability: options.durability ?? 'turn',
        caller,
        log,
        now: this.clock.now,
        timers: this.clock,
        events,
        wake: {
          update: (key, partition, entry) => scheduler.update(key, partition, entry),
          indexedReminderAt: (key) => scheduler.indexedReminderAt(key),
        },
      });
      void scheduler.acquire(PARTITION);
      this.#agents.set(name, { catalog, store, scheduler });
    }
  }

  /** A typed client of the instance `key` of `agent`: each method call is a turn there. */
  instance<N extends keyof M & string>(agent: N, key: string, options: CallOptions = {}): CallClient<M[N]> {
    return this.#client(agent, key, options, false) as CallClient<M[N]>;
  }

  /** A typed one-way client: resolves once the call is accepted; `await idle()` to wait for its turn. */
  send<N extends keyof M & string>(agent: N, key: string, options: CallOptions = {}): SendClient<M[N]> {
    return this.#client(agent, key, options, true) as SendClient<M[N]>;
  }

  /** One agent of the harness, addressed by key only. */
  agent<N extends keyof M & string>(agent: N): TestAgent<M[N]> {
    this.#hosted(agent);
    return new TestAgent(this, agent);
  }

  /** The state of `agent/key` as last committed (a copy), or undefined when it never was. */
  state<N extends keyof M & string>(agent: N, key: string): StateOf<M[N]> | undefined {
    return this.#hosted(agent).store.stateOf(key) as StateOf<M[N]> | undefined;
  }

  /** The reminders of `agent/key` as last committed, by name. */
  reminders(agent: keyof M & string, key: string): ReminderInfo[] {
    const entry = this.#hosted(agent).store.entries.get(key);
    const reminders = entry ? (decodeRecord(entry.json, `${agent}/${key}`).reminders ?? {}) : {};
    return Object.entries(reminders)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, { method, input, dueAt, everyMs }]) => ({ name, method, dueAt, ...(input === undefined ? {} : { input }), ...(everyMs === undefined ? {} : { everyMs }) }));
  }

  /** Events published by committed turns (to `topic`, or to any), oldest first. Subscriptions are not run. */
  published(topic?: string): PublishedEvent[] {
    return this.#published.filter((published) => topic === undefined || published.topic === topic);
  }

  /**
   * Deactivates instances as a pod does when they go idle or it drains:
   * onDeactivate runs, timers stop, the state is written. The next call
   * activates them again from their stored state (and runs onActivate).
   * Without arguments every instance; with `agent`, its instances; with a key, that one.
   */
  async deactivate(agent?: keyof M & string, key?: string): Promise<void> {
    const chosen = agent === undefined ? [...this.#agents.values()] : [this.#hosted(agent)];
    await Promise.all(chosen.map(({ catalog }) => catalog.deactivateWhere((activation) => key === undefined || activation.key === key)));
  }

  /** Resolves once no turn runs or waits and no reminder fire is under way (after `send`, for instance). */
  async idle(): Promise<void> {
    do await new Promise((resolve) => setImmediate(resolve));
    while (!this.#quiet());
  }

  /** Deactivates every instance and stops the reminder schedulers. */
  async close(): Promise<void> {
    await this.deactivate();
    for (const { scheduler } of this.#agents.values()) scheduler.stop();
  }

  #quiet(): boolean {
    if (this.#waking.size > 0) return false;
    for (const { catalog } of this.#agents.values()) if (catalog.counters.inflight > 0 || catalog.counters.queued > 0) return false;
    return true;
  }

  #hosted(agent: string): HostedInTest {
    const hosted = this.#agents.get(agent);
    if (!hosted) throw this.#unknownAgent(agent);
    return hosted;
  }

  #unknownAgent(agent: string): ColonyError {
    const names = [...this.#agents.keys()];
    return new ColonyError('not_found', `there is no agent named "${agent}" in this test; its agents are: ${names.join(', ')} (add it: testAgents({ ${[...names, agent].join(', ')} }))`);
  }

  /** A call an agent makes (ctx.call, ctx.send), or the test: to the named agent's catalog. */
  async #route(request: OutgoingCall): Promise<unknown> {
    const keyProblem = checkInstanceKey(request.key);
    if (keyProblem) throw new ColonyError('invalid_argument', `call to ${request.agent}.${request.method}: ${keyProblem}`);
    const hosted = this.#agents.get(request.agent);
    if (!hosted) throw this.#unknownAgent(request.agent);
    return callInProcess((call) => hosted.catalog.dispatch(call, PARTITION), request, DEFAULT_MAX_PAYLOAD_BYTES);
  }

  /** The reminder scheduler's wake-up of an instance, tracked so that the clock waits for it. */
  #wake(catalog: Catalog, key: string, partition: number): Promise<void> {
    const woken = catalog.wake(key, partition).then((reply) => {
      if (reply.status !== STATUS_OK) throw replyError(reply);
    });
    const tracked = woken.then(
      () => undefined,
      () => undefined,
    );
    this.#waking.add(tracked);
    void tracked.then(() => this.#waking.delete(tracked));
    return woken;
  }

  #client(agent: string, key: string, options: CallOptions, oneway: boolean): object {
    return new Proxy(
      {},
      {
        get: (_target, property) => {
          // Not a thenable: `await t.instance(...)` by mistake must not call a method named "then".
          if (typeof property !== 'string' || property === 'then') return undefined;
          return (input?: unknown) => {
            const callId = options.callId ?? randomUUID();
            const deadline = this.clock.now() + (options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
            // A call from the test starts its own chain, as one through the gateway does; it has no calling instance.
            return this.#route({ agent, key, method: property, input, deadline, callId, chain: callId, depth: 0, oneway, caller: '' });
          };
        },
      },
    );
  }
}

/** One agent of a harness (`testAgent`, or `testAgents(...).agent(name)`), addressed by key. */
export class TestAgent<D extends AnyAgentDefinition> {
  readonly #harness: TestAgents<Record<string, D>>;
  readonly #name: string;

  constructor(harness: TestAgents<Record<string, D>>, name: string) {
    this.#harness = harness;
    this.#name = name;
  }

  get clock(): TestClock {
    return this.#harness.clock;
  }

  get logs(): LogLine[] {
    return this.#harness.logs;
  }

  instance(key: string, options?: CallOptions): CallClient<D> {
    return this.#harness.instance(this.#name, key, options);
  }

  send(key: string, options?: CallOptions): SendClient<D> {
    return this.#harness.send(this.#name, key, options);
  }

  state(key: string): StateOf<D> | undefined {
    return this.#harness.state(this.#name, key);
  }

  reminders(key: string): ReminderInfo[] {
    return this.#harness.reminders(this.#name, key);
  }

  published(topic?: string): PublishedEvent[] {
    return this.#harness.published(topic);
  }

  deactivate(key?: string): Promise<void> {
    return this.#harness.deactivate(this.#name, key);
  }

  idle(): Promise<void> {
    return this.#harness.idle();
  }

  close(): Promise<void> {
    return this.#harness.close();
  }
}

/** Runs the agents of `definitions` (by the names they have in their manifests) in this process, for a unit test. */
export function testAgents<M extends Record<string, AnyAgentDefinition>>(definitions: M, options?: TestAgentsOptions): TestAgents<M> {
  return new TestAgents(definitions, options);
}

/** Runs one agent as `name` (its name in its manifest: the name its calls to itself use) in this process, for a unit test. */
export function testAgent<D extends AnyAgentDefinition>(definition: D, options: TestAgentsOptions & { name: string }): TestAgent<D> {
  const { name, ...rest } = options;
  return new TestAgents({ [name]: definition } as Record<string, D>, rest).agent(name);
}
