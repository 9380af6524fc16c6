import { randomUUID } from 'node:crypto';
import type { CallMeta } from '../protocol/envelope.ts';
import { ColonyError } from '../protocol/errors.ts';
import { errorField } from '../observability/log.ts';
import type { StructuredLogger } from '../observability/log.ts';
import type { Durability } from '../protocol/pod-env.ts';
import { nextDueAfterFire, reminderCallId } from '../reminders/reminder.ts';
import type { ReminderEntry } from '../reminders/reminder.ts';
import type { WakeEntry } from '../reminders/wake-index.ts';
import type { StateStore } from '../state/state-store.ts';
import type { Caller } from './caller.ts';
import { stepProbe } from './deadlock.ts';
import type { Probe } from './deadlock.ts';
import { ActivationTimers, RemindersApi, TasksApi } from './instance-api.ts';
import { InstanceRecord } from './instance-record.ts';
import type { LoadedAgent } from './loaded-agent.ts';
import { errorReply, okReply, toColonyError, unwrapReply } from './reply.ts';
import type { Reply } from './reply.ts';
import { TaskRunner } from './task-runner.ts';
import { TurnContext } from './turn-context.ts';
import type { StateHolder, TurnScope } from './turn-context.ts';

/** Internal method of a call that wakes an instance for its due reminders and tasks. */
export const WAKE_METHOD = '$wake';

/** A call delivered to an instance. `run`, for calls made inside the pod, replaces the method. */
export interface IncomingCall {
  meta: CallMeta;
  input: unknown;
  run?: ((ctx: TurnContext) => unknown) | undefined;
}

/**
 * Lifecycle of an activation:
 * loading → active → deactivating → closed; loading → failed;
 * any → abandoned (a turn hung past its deadline, or its state could not be written).
 */
export type ActivationStatus = 'loading' | 'active' | 'deactivating' | 'closed' | 'failed' | 'abandoned';

/** Keeps the durable wake-up index of the pod's partitions (see reminders/scheduler.ts). */
export interface WakeHooks {
  update(key: string, partition: number, entry: WakeEntry): Promise<void>;
  /** The reminder time last indexed for `key` (undefined: nothing indexed). */
  indexedReminderAt(key: string): number | null | undefined;
}

/** What an activation needs from its catalog. */
export interface ActivationDeps {
  podId: string;
  agent: LoadedAgent;
  store: StateStore;
  durability: Durability;
  caller: Caller;
  log: StructuredLogger;
  now: () => number;
  wake: WakeHooks;
  /** How long a turn may run past its deadline before its activation is abandoned. */
  turnGraceMs: number;
  /** Longest time onDeactivate, and stopping background tasks, may take. */
  hookTimeoutMs: number;
  maxMailbox: number;
  onAbandoned(activation: Activation, pending: Pending[]): void;
  onTurn(latencyMs: number): void;
  /** Sends a deadlock probe to another instance (`agent/key`). */
  sendProbe(target: string, probe: Probe): void;
  counters: { inflight: number; queued: number };
}

export interface Pending {
  call: IncomingCall;
  resolve: (reply: Reply) => void;
}

const DEADLINE = Symbol('deadline');
const LOADED = Promise.resolve();
const INTERNAL_TURN_TIMEOUT_MS = 30_000;

/**
 * One virtual agent instance in memory: its durable record, its mailbox, and
 * the turns it runs one at a time (except calls along the call chain of the
 * running turn, which run at once so that A → B → A does not deadlock).
 */
export class Activation implements StateHolder {
  readonly key: string;
  readonly partition: number;
  status: ActivationStatus = 'loading';
  lastUsedAt: number;

  // Every field costs memory a million times over: helpers and arrays are created on first use,
  // and the deps object is shared by all activations of a catalog.
  readonly #deps: ActivationDeps;
  readonly #serial: number;
  readonly #record: InstanceRecord;
  #ready: Promise<void>;
  #queue: Pending[] | undefined;
  #pumping = false;
  #runningChain: string | undefined;
  #inTurn = 0;
  #idleWaiters: (() => void)[] | undefined;
  /** Call ids accepted and not answered yet, with the copies of each waiting for its reply. */
  #unanswered: Map<string, ((reply: Reply) => void)[]> | undefined;
  /** Instances (`agent/key`) the running turns of this activation wait on, with counts. */
  #waitingOn: Map<string, number> | undefined;
  #reminders: RemindersApi | undefined;
  #timers: ActivationTimers | undefined;
  #tasks: TasksApi | undefined;
  #taskRunner: TaskRunner | undefined;

  /** `predecessor`: an activation of the same key still being retired; this one loads after it persisted. */
  constructor(key: string, partition: number, serial: number, deps: ActivationDeps, predecessor?: Promise<void>) {
    this.key = key;
    this.partition = partition;
    this.#serial = serial;
    this.#deps = deps;
    this.lastUsedAt = deps.now();
    this.#record = new InstanceRecord(`${deps.agent.name}/${key}`);
    this.#ready = this.#load(predecessor);
    // Loading errors are delivered to the queued calls by #pump; never unhandled.
    this.#ready.catch(() => undefined);
  }

  /** Unique id of this activation: `<pod>/<serial>`. */
  get activationId(): string {
    return `${this.#deps.podId}/${this.#serial}`;
  }

  get #where(): string {
    return `${this.#deps.agent.name}/${this.key}`;
  }

  get reminders(): RemindersApi {
    this.#reminders ??= new RemindersApi(() => this.#record, this.#deps.agent, this.#deps.durability, this.#deps.now);
    return this.#reminders;
  }

  get timers(): ActivationTimers {
    this.#timers ??= new ActivationTimers(this.#deps.agent, (name, method, input) => this.#fireTimer(name, method, input));
    return this.#timers;
  }

  get tasks(): TasksApi {
    this.#tasks ??= new TasksApi(() => this.#record, this.#deps.agent, (name) => this.#taskRunner?.running(name) ?? false, this.#deps.now);
    return this.#tasks;
  }

  #runner(): TaskRunner {
    this.#taskRunner ??= new TaskRunner({
      agent: this.#deps.agent,
      key: this.key,
      holder: this,
      caller: this.#deps.caller,
      log: this.#deps.log,
      now: this.#deps.now,
      turn: (fn) => this.#internalTurn(fn),
      recorded: () => this.#record.tasks,
    });
    return this.#taskRunner;
  }

  /** Starts the recorded background tasks that are not running. */
  #syncTasks(): void {
    if (this.#record.hasTasks) this.#runner().sync();
  }

  #pending(): Pending[] {
    this.#queue ??= [];
    return this.#queue;
  }

  get state(): unknown {
    return this.#record.state;
  }

  set state(value: unknown) {
    this.#record.state = value;
  }

  get podId(): string {
    return this.#deps.podId;
  }

  /** `agent/key` of this instance. */
  get address(): string {
    return this.#where;
  }

  /** True when nothing runs and nothing waits. */
  get idle(): boolean {
    return this.#inTurn === 0 && (this.#queue?.length ?? 0) === 0 && !this.#pumping;
  }

  /** Idle, with no timer pending and no background task: it may be deactivated. */
  get collectible(): boolean {
    return this.idle && (this.#timers?.size ?? 0) === 0 && (this.#taskRunner?.size ?? 0) === 0 && !this.#record.hasTasks;
  }

  get queued(): number {
    return this.#queue?.length ?? 0;
  }

  waitingOn(target: string, delta: 1 | -1): void {
    this.#waitingOn ??= new Map();
    const count = (this.#waitingOn.get(target) ?? 0) + delta;
    if (count > 0) this.#waitingOn.set(target, count);
    else this.#waitingOn.delete(target);
    if (delta === 1) this.#probeIfBlocking();
  }

  /** Accepts a call into the mailbox (or runs it at once when it belongs to the running chain). */
  enqueue(call: IncomingCall): Promise<Reply> {
    this.lastUsedAt = this.#deps.now();
    return new Promise<Reply>((resolve) => {
      const id = call.meta.callId;
      const copies = id ? this.#unanswered?.get(id) : undefined;
      if (copies) {
        // A copy of a call still running or waiting here (the client resent it after an owner change, or
        // the caller retried): it gets the same reply. Running it would apply the call twice — it would
        // even pass for reentrant, since it carries the running turn's chain.
        copies.push(resolve);
        return;
      }
      // Tracked from here on only if accepted: a refused call leaves nothing behind for its retry to wait on.
      const accepted = (): Pending => ({ call, resolve: id ? this.#track(id, resolve) : resolve });
      const running = this.status === 'active' || this.status === 'deactivating';
      if (running && this.#inTurn > 0 && this.#runningChain === call.meta.chain) {
        void this.#execute(accepted());
        return;
      }
      const deadlock = this.#deadlock(call);
      if (deadlock) {
        resolve(errorReply(deadlock));
        return;
      }
      const queue = this.#pending();
      if (queue.length >= this.#deps.maxMailbox) {
        resolve(
          errorReply(
            new ColonyError(
              'resource_exhausted',
              `${this.#where} has ${queue.length} calls waiting (limit ${this.#deps.maxMailbox}); slow down or spread the load over more keys`,
              { retryAfterSeconds: 1 },
            ),
          ),
        );
        return;
      }
      queue.push(accepted());
      this.#deps.counters.queued += 1;
      if (call.meta.caller && !call.meta.oneway) this.#probeIfBlocking();
      void this.#pump();
    });
  }

  /** Notes `id` as unanswered; the returned resolver answers the call and every copy that came meanwhile. */
  #track(id: string, resolve: (reply: Reply) => void): (reply: Reply) => void {
    this.#unanswered ??= new Map();
    this.#unanswered.set(id, []);
    return (reply) => {
      const copies = this.#unanswered?.get(id) ?? [];
      this.#unanswered?.delete(id);
      if (this.#unanswered?.size === 0) this.#unanswered = undefined;
      resolve(reply);
      for (const copy of copies) copy(reply);
    };
  }

  /** Resolves when the mailbox is empty and no turn runs. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    this.#idleWaiters ??= [];
    const waiters = this.#idleWaiters;
    return new Promise((resolve) => waiters.push(resolve));
  }

  /**
   * Stops timers and background tasks, runs onDeactivate and persists. The
   * catalog has already stopped routing calls here; calls still in the
   * mailbox run first.
   */
  async deactivate(): Promise<void> {
    if (this.status !== 'active' && this.status !== 'loading') return;
    this.status = 'deactivating';
    await this.#ready.catch(() => undefined);
    this.#timers?.clear();
    await this.#taskRunner?.stop(this.#deps.hookTimeoutMs);
    await this.whenIdle();
    if (this.status !== 'deactivating') return;
    const hook = this.#deps.agent.onDeactivate;
    if (hook) {
      const committed = await this.#runTurn(this.#hookScope('onDeactivate'), hook, () => undefined);
      if (!committed) this.#deps.log.warn(`onDeactivate of ${this.#where} failed; its state change was discarded`, { key: this.key });
    }
    try {
      await this.#record.flush(this.#deps.store, this.key);
    } catch (error) {
      this.#deps.log.error(`could not persist the state of ${this.#where} while deactivating`, { key: this.key, ...errorField(error) });
    }
    if (this.status === 'deactivating') this.status = 'closed';
  }

  /**
   * Drops this activation without persisting anything (the pod is no longer
   * sure it owns the key): queued calls fail with `error`, running turns can
   * no longer write, timers and tasks stop.
   */
  discard(error: ColonyError): void {
    if (this.status === 'abandoned') return;
    this.status = 'abandoned';
    this.#record.close();
    this.#timers?.clear();
    void this.#taskRunner?.stop(0);
    const reply = errorReply(error);
    for (const pending of this.#queue?.splice(0) ?? []) {
      this.#deps.counters.queued -= 1;
      pending.resolve(reply);
    }
    this.#notifyIdle();
  }

  /** Handles a deadlock probe (see deadlock.ts). */
  onProbe(probe: Probe): void {
    if (this.#inTurn === 0) return;
    const step = stepProbe(probe, this.#where, this.#waitingOn?.keys() ?? []);
    if (step.kind === 'forward') {
      for (const target of step.to) this.#deps.sendProbe(target, step.probe);
    } else if (step.kind === 'cycle') {
      this.#refuseQueuedFrom(step.from, `a wait cycle of ${probe.path.length + 1} instances (${[this.#where, ...probe.path].join(' → ')} → ${this.#where})`);
    }
  }

  async #load(predecessor: Promise<void> | undefined): Promise<void> {
    if (predecessor) await predecessor;
    const { agent } = this.#deps;
    await this.#record.load(this.#deps.store, this.key, agent.initialState);
    if (agent.onActivate) {
      let failure: ColonyError | undefined;
      const committed = await this.#runTurn(this.#hookScope('onActivate'), agent.onActivate, (reply) => {
        if (reply.status !== 'ok') failure = ColonyError.fromBody(reply.body === undefined ? undefined : JSON.parse(reply.body));
      });
      if (!committed) throw failure ?? new ColonyError('method_failed', `onActivate of ${this.#where} failed`);
    }
    if (this.status === 'loading') this.status = 'active';
    this.#syncTasks();
    // Drop the finished load's promise (and what it held) for a shared resolved one.
    this.#ready = LOADED;
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      try {
        await this.#ready;
      } catch (error) {
        this.#fail(toColonyError(error, `activating ${this.#where}`));
        return;
      }
      while (this.#queue && this.#queue.length > 0 && (this.status === 'active' || this.status === 'deactivating')) {
        const next = this.#queue.shift() as Pending;
        this.#deps.counters.queued -= 1;
        await this.#execute(next);
      }
    } finally {
      this.#pumping = false;
      this.#notifyIdle();
    }
  }

  #fail(error: ColonyError): void {
    this.status = 'failed';
    this.#deps.log.warn(`activation of ${this.#where} failed`, { key: this.key, code: error.code, error: error.message });
    const reply = errorReply(error);
    for (const pending of this.#queue?.splice(0) ?? []) {
      this.#deps.counters.queued -= 1;
      pending.resolve(reply);
    }
    this.#deps.onAbandoned(this, []);
  }

  #notifyIdle(): void {
    if (!this.idle || !this.#idleWaiters) return;
    for (const waiter of this.#idleWaiters.splice(0)) waiter();
  }

  async #execute(pending: Pending): Promise<void> {
    const { meta, input, run } = pending.call;
    const deps = this.#deps;
    if (this.status === 'abandoned') {
      deps.onAbandoned(this, [pending]);
      return;
    }
    if (meta.method === WAKE_METHOD) {
      await this.#wake(pending);
      return;
    }
    const remembered = this.#record.remembered(meta.callId);
    if (remembered) {
      pending.resolve({ status: remembered.status, body: remembered.body });
      return;
    }
    if (deps.now() >= meta.deadline) {
      pending.resolve(errorReply(this.#deadlineError(meta.method, 'waiting in the mailbox')));
      return;
    }
    let body = run;
    if (!body) {
      const method = deps.agent.methods.get(meta.method);
      if (!method) {
        pending.resolve(errorReply(new ColonyError('not_found', `agent ${deps.agent.name} has no method "${meta.method}"`)));
        return;
      }
      const problem = method.validate?.(input);
      if (problem) {
        pending.resolve(errorReply(new ColonyError('invalid_argument', `invalid input for ${deps.agent.name}.${meta.method}: ${problem}`)));
        return;
      }
      body = (ctx) => method.fn(ctx, input);
    }
    await this.#runTurn({ ...meta, agent: deps.agent.name }, body, pending.resolve, meta.method);
  }

  /**
   * Runs one turn: the body with a context, then the commit. Calls `respond`
   * exactly once (at the deadline, if the body is late). Resolves true when
   * the turn committed.
   */
  async #runTurn(
    scope: TurnScope,
    body: (ctx: TurnContext) => unknown,
    respond: (reply: Reply) => void,
    label = 'turn',
    beforeCommit?: () => void,
  ): Promise<boolean> {
    const deps = this.#deps;
    const startedAt = deps.now();
    this.#inTurn += 1;
    this.#runningChain = scope.chain;
    deps.counters.inflight += 1;
    const abort = new AbortController();
    const log = deps.log.child({ key: this.key, method: label, callId: scope.callId });
    const ctx = new TurnContext(this, scope, abort.signal, deps.caller, log, deps.now);
    const where = `${deps.agent.name}.${label} on ${this.key}`;
    const run = (async () => body(ctx))();
    try {
      const outcome = await raceDeadline(run, scope.deadline - startedAt, abort);
      if (outcome === DEADLINE) {
        respond(errorReply(this.#deadlineError(label, 'running')));
        await this.#afterDeadline(run, where);
        return false;
      }
      beforeCommit?.();
      const reply = await this.#commit(scope.callId, okReply(outcome));
      respond(reply);
      return reply.status === 'ok';
    } catch (thrown) {
      this.#record.rollback();
      const error = toColonyError(thrown, where);
      if (error.code === 'method_failed' || error.code === 'internal') log.warn(error.message, errorField(thrown));
      respond(errorReply(error));
      return false;
    } finally {
      deps.counters.inflight -= 1;
      this.#inTurn -= 1;
      if (this.#inTurn === 0) this.#runningChain = undefined;
      this.lastUsedAt = deps.now();
      deps.onTurn(this.lastUsedAt - startedAt);
      this.#notifyIdle();
    }
  }

  /** Fires the due reminders, each as its own turn, and makes sure tasks run. */
  async #wake(pending: Pending): Promise<void> {
    const now = this.#deps.now();
    const due = [...this.#record.reminders].filter(([, entry]) => entry.dueAt <= now).sort((a, b) => a[1].dueAt - b[1].dueAt);
    let failure: Reply | undefined;
    for (const [name, entry] of due) {
      const method = this.#deps.agent.methods.get(entry.method);
      const advance = (): void => this.#advanceReminder(name, entry, now);
      if (!method) {
        this.#deps.log.error(`reminder "${name}" of ${this.#where} names method "${entry.method}", which no longer exists; it is dropped`);
        this.#record.reminders.delete(name);
        await this.#commit('', { status: 'ok' });
        continue;
      }
      const callId = reminderCallId(name, entry.dueAt);
      const scope: TurnScope = {
        agent: this.#deps.agent.name,
        key: this.key,
        callId,
        chain: callId,
        depth: 0,
        deadline: now + INTERNAL_TURN_TIMEOUT_MS,
        reminder: { name, dueAt: entry.dueAt },
      };
      if (this.#record.remembered(callId)) {
        advance();
        await this.#commit('', { status: 'ok' });
        continue;
      }
      const input = entry.input === undefined ? undefined : JSON.parse(JSON.stringify(entry.input));
      const committed = await this.#runTurn(scope, (ctx) => method.fn(ctx, input), (reply) => (failure = reply), `reminder ${name}`, advance);
      if (!committed) break;
      failure = undefined;
    }
    this.#syncTasks();
    await this.#syncWake();
    pending.resolve(failure ?? { status: 'ok' });
  }

  /** After a fire, a one-shot reminder ends and a periodic one moves to its next time (unless the turn changed it). */
  #advanceReminder(name: string, entry: ReminderEntry, firedAt: number): void {
    if (this.#record.reminders.get(name) !== entry) return;
    const next = nextDueAfterFire(entry, firedAt);
    if (next === undefined) this.#record.reminders.delete(name);
    else this.#record.reminders.set(name, { ...entry, dueAt: next });
  }

  #fireTimer(name: string, method: string, input: unknown): void {
    const now = this.#deps.now();
    const meta: CallMeta = { key: this.key, method, deadline: now + INTERNAL_TURN_TIMEOUT_MS, callId: '', chain: `timer:${randomUUID()}`, depth: 0 };
    void this.enqueue({ meta, input }).then((reply) => {
      if (reply.status !== 'ok') this.#deps.log.warn(`timer "${name}" of ${this.#where} failed`, { key: this.key, status: reply.status, body: reply.body });
    });
  }

  /** A turn on behalf of this pod (a background task's update): queued like a call. */
  async #internalTurn<T>(fn: (ctx: TurnContext) => T | Promise<T>): Promise<T> {
    const now = this.#deps.now();
    const meta: CallMeta = { key: this.key, method: 'task', deadline: now + INTERNAL_TURN_TIMEOUT_MS, callId: '', chain: `task:${randomUUID()}`, depth: 0 };
    let result: T | undefined;
    const reply = await this.enqueue({
      meta,
      input: undefined,
      run: async (ctx) => {
        result = await fn(ctx);
      },
    });
    unwrapReply(reply);
    return result as T;
  }

  #hookScope(name: string): TurnScope {
    return {
      agent: this.#deps.agent.name,
      key: this.key,
      callId: '',
      chain: `${name}:${this.#where}`,
      depth: 0,
      deadline: this.#deps.now() + this.#deps.hookTimeoutMs,
    };
  }

  /** A turn outlived its deadline: its caller got 504; its state change is discarded. */
  async #afterDeadline(run: Promise<unknown>, where: string): Promise<void> {
    const finished = await raceDeadline(
      run.then(
        () => true,
        () => true,
      ),
      this.#deps.turnGraceMs,
      new AbortController(),
    );
    if (finished === DEADLINE) {
      this.#deps.log.error(
        `${where} is still running ${this.#deps.turnGraceMs} ms past its deadline; the activation is abandoned and the next call loads a fresh one. Make the method honour ctx.signal.`,
        { key: this.key },
      );
      this.#abandon();
      return;
    }
    this.#record.rollback();
  }

  #deadlineError(label: string, phase: string): ColonyError {
    return new ColonyError(
      'deadline_exceeded',
      `${this.#deps.agent.name}.${label} on ${this.key} passed its deadline while ${phase}; its state change, if any, was discarded`,
    );
  }

  /**
   * Ends a turn: if the record changed, remembers the reply under the call id
   * and persists as the durability mode says; keeps the wake-up index right.
   * Returns the reply to send.
   */
  async #commit(callId: string, reply: Reply): Promise<Reply> {
    let change;
    try {
      change = this.#record.change();
    } catch (error) {
      this.#record.rollback();
      return errorReply(toColonyError(error, this.#where));
    }
    if (!change) return reply;
    const durable = this.#deps.durability !== 'none';
    if (durable) {
      // The index must never be later than the state: write it first when this turn makes the instance due earlier.
      try {
        await this.#indexBeforeWrite();
      } catch (cause) {
        this.#record.rollback();
        return errorReply(new ColonyError('unavailable', `could not record the reminders of ${this.#where}: ${(cause as Error).message}`, { cause, retryAfterSeconds: 1 }));
      }
    }
    this.#record.accept(change, callId, reply, this.#deps.now());
    this.#syncTasks();
    if (!durable) return reply;
    if (this.#deps.durability === 'async') {
      this.#record
        .flush(this.#deps.store, this.key)
        .then(() => this.#syncWake())
        .catch((error: unknown) => {
          this.#deps.log.error(`could not persist the state of ${this.#where} (durability: async); acknowledged changes may be lost`, {
            key: this.key,
            ...errorField(error),
          });
          this.#abandon();
        });
      return reply;
    }
    try {
      await this.#record.flush(this.#deps.store, this.key);
    } catch (cause) {
      this.#abandon();
      if (cause instanceof ColonyError) return errorReply(cause);
      return errorReply(
        new ColonyError(
          'unavailable',
          `could not persist the state of ${this.#where}: ${(cause as Error).message}; the change may not have been applied, and retrying with the same call id is safe`,
          { cause, retryAfterSeconds: 1 },
        ),
      );
    }
    await this.#syncWake();
    return reply;
  }

  async #indexBeforeWrite(): Promise<void> {
    const wanted = this.#record.wakeEntry();
    const indexed = this.#deps.wake.indexedReminderAt(this.key);
    const earlier = wanted.reminderAt !== null && (indexed === undefined || indexed === null || wanted.reminderAt < indexed);
    if (earlier || (wanted.tasks && indexed === undefined)) await this.#deps.wake.update(this.key, this.partition, wanted);
  }

  /** Writes the exact wake-up entry after a successful write (a failure only delays reminders until the next one). */
  async #syncWake(): Promise<void> {
    if (this.#deps.durability === 'none' || this.status === 'abandoned') return;
    try {
      await this.#deps.wake.update(this.key, this.partition, this.#record.wakeEntry());
    } catch (error) {
      this.#deps.log.warn(`could not update the wake-up index of ${this.#where}`, { key: this.key, ...errorField(error) });
    }
  }

  /** Stops this activation for good; the catalog routes its queued calls to a fresh one. */
  #abandon(): void {
    if (this.status === 'abandoned') return;
    this.status = 'abandoned';
    this.#record.close();
    this.#timers?.clear();
    void this.#taskRunner?.stop(0);
    const orphans = this.#queue?.splice(0) ?? [];
    this.#deps.counters.queued -= orphans.length;
    this.#deps.onAbandoned(this, orphans);
    this.#notifyIdle();
  }

  /**
   * While this instance waits on others and calls from other instances wait
   * on it, it may close a wait cycle: probe along what it waits on.
   */
  #probeIfBlocking(): void {
    if (!this.#waitingOn || this.#waitingOn.size === 0) return;
    if (!this.#queue?.some((pending) => pending.call.meta.caller && !pending.call.meta.oneway)) return;
    for (const target of this.#waitingOn.keys()) this.#deps.sendProbe(target, { origin: this.#where, path: [] });
  }

  #refuseQueuedFrom(caller: string, cycle: string): void {
    const error = new ColonyError('aborted', `deadlock avoided: ${cycle}; the call of ${caller} to ${this.#where} was refused, retry it`);
    const queue = this.#pending();
    for (let i = queue.length - 1; i >= 0; i -= 1) {
      const pending = queue[i] as Pending;
      if (pending.call.meta.caller !== caller || pending.call.meta.oneway) continue;
      queue.splice(i, 1);
      this.#deps.counters.queued -= 1;
      pending.resolve(errorReply(error));
    }
  }

  /**
   * A call from an instance that the running turn is itself waiting on closes a
   * cycle of two call chains that would wait for each other until their
   * deadlines. The incoming call is refused with `aborted`: the caller's turn
   * can roll back (releasing its instance, so this turn's call goes through)
   * and its client can retry. When both sides detect the cycle at once, both
   * are refused.
   */
  #deadlock(call: IncomingCall): ColonyError | undefined {
    const { caller, chain, oneway } = call.meta;
    if (!caller || oneway || this.#inTurn === 0 || chain === this.#runningChain || !this.#waitingOn?.has(caller)) return undefined;
    return new ColonyError(
      'aborted',
      `deadlock avoided: ${this.#where} is waiting on ${caller}, which called it back from another call chain; the call of ${caller} was refused, retry it`,
    );
  }
}

/** Resolves with the promise's value, or DEADLINE (after aborting `abort`) if `ms` pass first. */
async function raceDeadline<T>(promise: Promise<T>, ms: number, abort: AbortController): Promise<T | typeof DEADLINE> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof DEADLINE>((resolve) => {
    timer = setTimeout(() => {
      abort.abort(new ColonyError('deadline_exceeded', 'the deadline passed'));
      resolve(DEADLINE);
    }, Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
