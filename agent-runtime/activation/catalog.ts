import { randomUUID } from 'node:crypto';
import type { EventSink } from '../events/outbox.ts';
import type { StructuredLogger } from '../observability/log.ts';
import { errorField } from '../observability/log.ts';
import type { Durability } from '../protocol/pod-env.ts';
import type { StateStore } from '../state/state-store.ts';
import { Activation } from './activation.ts';
import type { ActivationDeps, TurnLimits, TurnWatch, WakeHooks } from './deps.ts';
import type { IncomingCall, Work } from './mailbox.ts';
import type { WakeEntry } from '../protocol/wake.ts';
import type { Caller } from './caller.ts';
import type { LoadedAgent } from './loaded-agent.ts';
import { STATUS_OK } from '../protocol/headers.ts';
import { isProbe, splitAddress } from './deadlock.ts';
import type { Probe } from './deadlock.ts';
import { errorReply } from './reply.ts';
import type { Reply } from './reply.ts';
import { ColonyError } from '../protocol/errors.ts';
import type { WorkflowDeps } from '../workflow/workflow-deps.ts';
import { isWorkflowVerb } from '../workflow/verbs.ts';
import { ADMIN_VERBS, isAdminVerb, workflowAdminError } from '../protocol/admin.ts';
import { readInstance } from './admin-ops.ts';
import type { AgentMetrics } from '../observability/pod-metrics.ts';
import { NO_TRACING } from '../observability/tracing.ts';
import type { Tracing } from '../observability/tracing.ts';
import { DEFAULT_MAX_PAYLOAD_BYTES, MESSAGE_HEADROOM_BYTES } from '../protocol/limits.ts';
import { REAL_TIMERS } from '../reminders/timer-source.ts';
import type { TimerSource } from '../reminders/timer-source.ts';

export interface CatalogOptions {
  /** The pod this catalog runs in (activation ids start with it). */
  podId?: string;
  /** The wake-up index of reminders and tasks; without one they only last as long as the pod. */
  wake?: WakeHooks;
  agent: LoadedAgent;
  store: StateStore;
  durability: Durability;
  caller: Caller;
  log: StructuredLogger;
  now?: () => number;
  /** Where `ctx.timers` are set: Node's timers unless a test passes its clock's (colony/testing). */
  timers?: TimerSource;
  turnGraceMs?: number;
  hookTimeoutMs?: number;
  maxMailbox?: number;
  /** What a result and a stored record may weigh (from the NATS server's max_payload). */
  limits?: TurnLimits;
  /** The pod's watchdog, told which turns run. */
  watchdog?: TurnWatch | undefined;
  /** For a workflow Agent: what its instances' runs share. */
  workflows?: WorkflowDeps | undefined;
  /** Where the events its turns publish go. */
  events?: EventSink | undefined;
  /** The pod's metrics of this Agent (turns, activations). */
  metrics?: Pick<AgentMetrics, 'turn' | 'activated'> | undefined;
  /** Spans of turns and state writes (OpenTelemetry); default none. */
  tracing?: Tracing | undefined;
}

export const DEFAULT_TURN_GRACE_MS = 2_000;
export const DEFAULT_HOOK_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_MAILBOX = 10_000;

/** The limits of a turn's outcome on a NATS server with this max_payload. */
export function turnLimitsFor(maxPayloadBytes: number): TurnLimits {
  const bytes = Math.max(1, maxPayloadBytes - MESSAGE_HEADROOM_BYTES);
  return { replyBytes: bytes, recordBytes: bytes };
}
/** A probe that cannot be delivered within this time is dropped (the deadline still ends the wait). */
const PROBE_TIMEOUT_MS = 2_000;

export interface CatalogStats {
  activeInstances: number;
  inflight: number;
  queued: number;
}

/**
 * The activations of one pod, by key. Creating an activation is synchronous,
 * so two calls racing for a cold key always share one activation
 * (single-flight); a key being retired gets its successor only after the old
 * activation has persisted.
 */
export class Catalog {
  readonly #activations = new Map<string, Activation>();
  readonly #retiring = new Map<string, Promise<void>>();
  readonly #options: Required<Omit<CatalogOptions, 'now' | 'watchdog' | 'workflows' | 'events' | 'metrics' | 'tracing'>> & {
    now: () => number;
    watchdog: TurnWatch | undefined;
    workflows: WorkflowDeps | undefined;
    events: EventSink | undefined;
    metrics: CatalogOptions['metrics'];
    tracing: Tracing;
  };
  readonly #counters = { inflight: 0, queued: 0 };
  #latencies: number[] = [];
  #created = 0;
  #deps: ActivationDeps | undefined;
  #turns = 0;

  constructor(options: CatalogOptions) {
    this.#options = {
      now: Date.now,
      timers: REAL_TIMERS,
      podId: 'local',
      wake: new MemoryWakeHooks(),
      turnGraceMs: DEFAULT_TURN_GRACE_MS,
      hookTimeoutMs: DEFAULT_HOOK_TIMEOUT_MS,
      maxMailbox: DEFAULT_MAX_MAILBOX,
      limits: turnLimitsFor(DEFAULT_MAX_PAYLOAD_BYTES),
      watchdog: undefined,
      workflows: undefined,
      events: undefined,
      metrics: undefined,
      tracing: NO_TRACING,
      ...options,
    };
  }

  get size(): number {
    return this.#activations.size;
  }

  /** Turns in flight and queued: shared with what else runs work for the pod's load report (activities). */
  get counters(): { inflight: number; queued: number } {
    return this.#counters;
  }

  stats(): CatalogStats {
    return { activeInstances: this.#activations.size, ...this.#counters };
  }

  /** Turn latencies and count since the last call; resets them. */
  takeTurnStats(): { turns: number; latenciesMs: number[] } {
    const out = { turns: this.#turns, latenciesMs: this.#latencies };
    this.#turns = 0;
    this.#latencies = [];
    return out;
  }

  /** A method call, or an operation (`meta.op`), for an instance of a partition this pod serves. */
  dispatch(call: IncomingCall, partition: number): Promise<Reply> {
    const { agent } = this.#options;
    if (call.meta.op === 'probe') {
      // A probe never activates anything: only a running turn can be part of a wait cycle.
      if (isProbe(call.input)) this.#activations.get(call.meta.key)?.onProbe(call.input);
      return Promise.resolve({ status: STATUS_OK });
    }
    if (call.meta.op === 'workflow') {
      if (!agent.workflow) return Promise.resolve(errorReply(new ColonyError('not_found', `agent ${agent.name} is not a workflow: it has methods, not workflow instances`)));
      if (!isWorkflowVerb(call.meta.method)) return Promise.resolve(errorReply(new ColonyError('not_found', `a workflow has no verb "${call.meta.method}"`)));
      return this.#activation(call.meta.key, partition).enqueue(call);
    }
    if (call.meta.op === 'admin') return this.#admin(call, partition);
    if (!agent.methods.has(call.meta.method)) {
      const known = [...agent.methods.keys()].join(', ');
      const error = new ColonyError('not_found', `agent ${agent.name} has no method "${call.meta.method}"; its methods are: ${known}`);
      return Promise.resolve(errorReply(error));
    }
    return this.#activation(call.meta.key, partition).enqueue(call);
  }

  /** An admin operation (protocol/admin.ts): a read answered without activating anything, or a write queued as a turn. */
  #admin(call: IncomingCall, partition: number): Promise<Reply> {
    const { agent, store } = this.#options;
    const { key, method } = call.meta;
    if (agent.workflow) return Promise.resolve(errorReply(workflowAdminError(agent.name)));
    if (!isAdminVerb(method)) return Promise.resolve(errorReply(new ColonyError('not_found', `there is no admin operation "${method}"; they are: ${ADMIN_VERBS.join(', ')}`)));
    if (method !== 'read') return this.#activation(key, partition).enqueue(call);
    return readInstance({ agent: agent.name, key, activation: () => this.#activations.get(key), retired: () => this.#retiring.get(key), store });
  }

  /** The keys of the instances in memory (loaded or loading). */
  keys(): IterableIterator<string> {
    return this.#activations.keys();
  }

  /** Wakes an instance for its due reminders and tasks (activating it); resolves with how that went. */
  wake(key: string, partition: number): Promise<Reply> {
    return this.#activation(key, partition).wake();
  }

  #activation(key: string, partition: number): Activation {
    let activation = this.#activations.get(key);
    if (!activation) {
      activation = this.#create(key, partition);
      this.#activations.set(key, activation);
    }
    return activation;
  }

  has(key: string): boolean {
    return this.#activations.has(key);
  }

  /** Deactivates (onDeactivate, persist, drop) every activation the filter selects. */
  async deactivateWhere(filter: (activation: Activation) => boolean): Promise<void> {
    const chosen = [...this.#activations.values()].filter(filter);
    await Promise.all(chosen.map((activation) => this.#retire(activation)));
  }

  /** Drops every activation without persisting (the pod lost track of what it owns). Returns how many. */
  discardAll(error: ColonyError): number {
    const all = [...this.#activations.values()];
    this.#activations.clear();
    for (const activation of all) activation.discard(error);
    return all.length;
  }

  /** Deactivates activations idle for at least `idleMs`. */
  async collectIdle(idleMs: number): Promise<number> {
    const cutoff = this.#options.now() - idleMs;
    let collected = 0;
    await this.deactivateWhere((a) => {
      const idle = a.collectible && a.status === 'active' && a.lastUsedAt <= cutoff;
      if (idle) collected += 1;
      return idle;
    });
    return collected;
  }

  #retire(activation: Activation): Promise<void> {
    if (this.#activations.get(activation.key) === activation) this.#activations.delete(activation.key);
    const retired = activation.deactivate().catch((error: unknown) => {
      this.#options.log.error(`deactivating ${this.#options.agent.name}/${activation.key} failed`, errorField(error));
    });
    const done = retired.finally(() => {
      if (this.#retiring.get(activation.key) === done) this.#retiring.delete(activation.key);
    });
    this.#retiring.set(activation.key, done);
    return done;
  }

  #sendProbe(target: string, probe: Probe): void {
    const { agent, key } = splitAddress(target);
    const now = this.#options.now();
    this.#options.caller
      .call({
        agent,
        key,
        method: 'probe',
        op: 'probe',
        input: probe,
        deadline: now + PROBE_TIMEOUT_MS,
        callId: randomUUID(),
        chain: randomUUID(),
        depth: 0,
        oneway: true,
        caller: probe.path.at(-1) ?? probe.origin,
      })
      .catch(() => undefined);
  }

  #create(key: string, partition: number): Activation {
    this.#created += 1;
    this.#options.metrics?.activated();
    return new Activation(key, partition, this.#created, this.#activationDeps(), this.#retiring.get(key));
  }

  /** The deps every activation of this catalog shares (one object, not one per instance). */
  #activationDeps(): ActivationDeps {
    if (this.#deps) return this.#deps;
    const options = this.#options;
    this.#deps = {
      podId: options.podId,
      wake: options.wake,
      agent: options.agent,
      store: options.store,
      durability: options.durability,
      caller: options.caller,
      log: options.log,
      now: options.now,
      timers: options.timers,
      turnGraceMs: options.turnGraceMs,
      hookTimeoutMs: options.hookTimeoutMs,
      maxMailbox: options.maxMailbox,
      limits: options.limits,
      watchdog: options.watchdog,
      workflows: options.workflows,
      events: options.events,
      tracing: options.tracing ?? NO_TRACING,
      counters: this.#counters,
      sendProbe: (target: string, probe: Probe) => this.#sendProbe(target, probe),
      onTurn: (latencyMs, label, outcome) => {
        this.#turns += 1;
        if (this.#latencies.length < 10_000) this.#latencies.push(latencyMs);
        this.#options.metrics?.turn(label, outcome, latencyMs);
      },
      onAbandoned: (abandoned: Activation, orphans: Work[]) => {
        if (this.#activations.get(abandoned.key) === abandoned) this.#activations.delete(abandoned.key);
        for (const orphan of orphans) {
          if (orphan.op === 'call') void this.dispatch(orphan.call, abandoned.partition).then(orphan.resolve);
          else this.#activation(abandoned.key, abandoned.partition).adopt(orphan);
        }
      },
    };
    return this.#deps;
  }
}

/** Wake-up hooks that only remember, for catalogs without a durable index (unit tests). */
export class MemoryWakeHooks implements WakeHooks {
  readonly entries = new Map<string, WakeEntry>();

  async update(key: string, _partition: number, entry: WakeEntry): Promise<void> {
    if (entry.reminderAt === null && !entry.tasks) this.entries.delete(key);
    else this.entries.set(key, entry);
  }

  indexedReminderAt(key: string): number | null | undefined {
    return this.entries.get(key)?.reminderAt;
  }
}
