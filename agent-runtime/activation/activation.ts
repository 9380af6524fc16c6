import { randomUUID } from 'node:crypto';
import type { ActivationDeps } from './deps.ts';
import type { CallMeta } from '../protocol/envelope.ts';
import type { ColonyError } from '../protocol/errors.ts';
import { errorField } from '../observability/log.ts';
import type { Probe } from './deadlock.ts';
import { callFingerprint } from './fingerprint.ts';
import { ActivationTimers, RemindersApi, TasksApi } from './instance-api.ts';
import { InstanceRecord } from './instance-record.ts';
import { loadInstance, retireInstance } from './lifecycle.ts';
import { admit, UnansweredCalls } from './mailbox.ts';
import type { IncomingCall, MailboxView, Work } from './mailbox.ts';
import { errorReply, toColonyError, unwrapReply } from './reply.ts';
import type { Reply } from './reply.ts';
import { TaskRunner } from './task-runner.ts';
import { WorkflowInstance } from '../workflow/instance.ts';
import type { TurnContext, StateHolder } from './turn-context.ts';
import { noteWait, onProbe, probeIfBlocking } from './waits.ts';
import { executeWork } from './execute.ts';

/**
 * Lifecycle of an activation:
 * loading → active → deactivating → closed; loading → failed;
 * any → abandoned (a turn hung past its deadline, or its state could not be written).
 */
export type ActivationStatus = 'loading' | 'active' | 'deactivating' | 'closed' | 'failed' | 'abandoned';

const LOADED = Promise.resolve();
/** Deadline of a turn the pod runs for itself: a wake-up, a timer, a task's update. */
const INTERNAL_TURN_TIMEOUT_MS = 30_000;

/**
 * One virtual agent instance in memory: its durable record, its mailbox, and
 * the turns it runs one at a time (except calls along the call chain of the
 * running turn, which run at once so that A → B → A does not deadlock).
 * This file holds the lifecycle and the mailbox; the concepts live beside it: the mailbox's
 * admission (mailbox.ts), what each piece of work runs (execute.ts), a turn
 * (turn.ts), its commit (commit.ts), loading and retiring (lifecycle.ts), reminder fires (reminder-firing.ts) and
 * waits between instances (waits.ts); what an activation needs is deps.ts.
 * The members without `#` are theirs, not the catalog's.
 */
export class Activation implements StateHolder, MailboxView {
  readonly key: string;
  readonly partition: number;
  status: ActivationStatus = 'loading';
  lastUsedAt: number;

  // Every field costs memory a million times over: helpers and arrays are created on first use,
  // and the deps object is shared by all activations of a catalog.
  readonly deps: ActivationDeps;
  readonly record: InstanceRecord;
  queue: Work[] | undefined;
  inTurn = 0;
  runningChain: string | undefined;
  /** Instances (`agent/key`) the running turns wait on, with counts. */
  waits: Map<string, number> | undefined;
  /** A workflow instance's run and its journal (workflow Agents only). */
  workflow: WorkflowInstance | undefined;
  readonly #serial: number;
  #ready: Promise<void>;
  #pumping = false;
  #idleWaiters: (() => void)[] | undefined;
  #unanswered: UnansweredCalls | undefined;
  #reminders: RemindersApi | undefined;
  #timers: ActivationTimers | undefined;
  #tasks: TasksApi | undefined;
  #taskRunner: TaskRunner | undefined;

  /** `predecessor`: an activation of the same key still being retired; this one loads after it persisted. */
  constructor(key: string, partition: number, serial: number, deps: ActivationDeps, predecessor?: Promise<void>) {
    this.key = key;
    this.partition = partition;
    this.#serial = serial;
    this.deps = deps;
    this.lastUsedAt = deps.now();
    this.record = new InstanceRecord(this.address);
    this.#ready = this.#load(predecessor);
    // Loading errors are delivered to the queued calls by #pump; never unhandled.
    this.#ready.catch(() => undefined);
  }

  /** Unique id of this activation: `<pod>/<serial>`. */
  get activationId(): string {
    return `${this.deps.podId}/${this.#serial}`;
  }

  /** `agent/key` of this instance. */
  get address(): string {
    return `${this.deps.agent.name}/${this.key}`;
  }

  get podId(): string {
    return this.deps.podId;
  }

  get state(): unknown {
    return this.record.state;
  }

  set state(value: unknown) {
    this.record.state = value;
  }

  get reminders(): RemindersApi {
    this.#reminders ??= new RemindersApi(() => this.record, this.deps.agent, this.deps.durability, this.deps.now);
    return this.#reminders;
  }

  get timers(): ActivationTimers {
    this.#timers ??= new ActivationTimers(this.deps.agent, this.deps.timers, (name, method, input) => this.#fireTimer(name, method, input));
    return this.#timers;
  }

  get tasks(): TasksApi {
    this.#tasks ??= new TasksApi(() => this.record, this.deps.agent, (name) => this.#taskRunner?.running(name) ?? false, this.deps.now);
    return this.#tasks;
  }

  /** Loaded and not being dropped: it runs turns. */
  get takesTurns(): boolean {
    return this.status === 'active' || this.status === 'deactivating';
  }

  get maxMailbox(): number {
    return this.deps.maxMailbox;
  }

  /** True when nothing runs and nothing waits. */
  get idle(): boolean {
    return this.inTurn === 0 && (this.queue?.length ?? 0) === 0 && !this.#pumping;
  }

  /** Idle, with no timer pending and no background task: it may be deactivated. */
  get collectible(): boolean {
    return this.idle && (this.#timers?.size ?? 0) === 0 && (this.#taskRunner?.size ?? 0) === 0 && !this.record.hasTasks && !(this.workflow?.busy ?? false);
  }

  get queued(): number {
    return this.queue?.length ?? 0;
  }

  waitingOn(target: string, delta: 1 | -1): void {
    noteWait(this, target, delta);
  }

  /** Accepts a call into the mailbox, runs it at once (along the running chain), or refuses it. */
  enqueue(call: IncomingCall): Promise<Reply> {
    this.lastUsedAt = this.deps.now();
    return new Promise<Reply>((resolve) => {
      const { meta } = call;
      const id = meta.callId;
      if (id && this.#unanswered?.has(id)) {
        // A copy of a call still running or waiting here (a resend after an owner change, or a retry): it gets the
        // same reply. Running it would apply the call twice — it would even pass for reentrant (same chain).
        // Only a copy pays for its fingerprint (hashing its input), not every call that arrives while others run.
        const joined = this.#unanswered.join(id, callFingerprint(meta.method, call.input), resolve);
        if (joined === true) return;
        if (joined) {
          resolve(errorReply(joined));
          return;
        }
      }
      const admission = admit(this, meta);
      if (admission.kind === 'refuse') {
        resolve(errorReply(admission.error));
        return;
      }
      // Tracked from here on only if accepted: a refused call leaves nothing behind for its retry to wait on.
      const work: Work = { op: 'call', meta, call, resolve: id ? this.#track(id, call, resolve) : resolve };
      if (admission.kind === 'reentrant') {
        void executeWork(this, work);
        return;
      }
      this.#push(work);
      if (meta.caller && !meta.oneway) probeIfBlocking(this);
    });
  }

  /** Wakes the instance (the reminder scheduler): fires its due reminders, each as its own turn, and resumes tasks. */
  wake(): Promise<Reply> {
    const meta = this.#internalMeta('wake');
    return new Promise<Reply>((resolve) => this.#push({ op: 'wake', meta, resolve }));
  }

  /** A turn on behalf of a background task (`ctx.update`): queued like a call. */
  async update<T>(fn: (ctx: TurnContext) => T | Promise<T>): Promise<T> {
    let result: T | undefined;
    const meta = this.#internalMeta('update');
    const run = async (ctx: TurnContext): Promise<void> => {
      result = await fn(ctx);
    };
    unwrapReply(await new Promise<Reply>((resolve) => this.#push({ op: 'update', meta, run, resolve })));
    return result as T;
  }

  /** Takes the work of an abandoned predecessor (wake-ups and task updates; calls are dispatched again). */
  adopt(work: Work): void {
    this.#push(work);
  }

  /** Handles a deadlock probe (see waits.ts). */
  onProbe(probe: Probe): void {
    onProbe(this, probe);
  }

  /** Resolves when the mailbox is empty and no turn runs. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    this.#idleWaiters ??= [];
    const waiters = this.#idleWaiters;
    return new Promise((resolve) => waiters.push(resolve));
  }

  beginTurn(chain: string): void {
    this.inTurn += 1;
    this.runningChain = chain;
    this.deps.counters.inflight += 1;
  }

  endTurn(startedAt: number, label: string, outcome: string): void {
    this.deps.counters.inflight -= 1;
    this.inTurn -= 1;
    if (this.inTurn === 0) this.runningChain = undefined;
    this.lastUsedAt = this.deps.now();
    this.deps.onTurn(this.lastUsedAt - startedAt, label, outcome);
    this.#notifyIdle();
  }

  /** Starts the recorded background tasks that are not running. */
  syncTasks(): void {
    if (!this.record.hasTasks) return;
    this.#taskRunner ??= new TaskRunner({
      agent: this.deps.agent,
      key: this.key,
      holder: this,
      caller: this.deps.caller,
      log: this.deps.log,
      now: this.deps.now,
      turn: (fn) => this.update(fn),
      recorded: () => this.record.tasks,
    });
    this.#taskRunner.sync();
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
    await this.#taskRunner?.stop(this.deps.hookTimeoutMs);
    await this.workflow?.quiesce(this.deps.hookTimeoutMs);
    await this.whenIdle();
    if (this.status !== 'deactivating') return;
    await retireInstance(this);
    if (this.status === 'deactivating') this.status = 'closed';
  }

  /**
   * Drops this activation without persisting anything (the pod is no longer
   * sure it owns the key): queued work fails with `error`, running turns can
   * no longer write, timers and tasks stop.
   */
  discard(error: ColonyError): void {
    if (this.status === 'abandoned') return;
    this.#stop();
    const reply = errorReply(error);
    for (const work of this.#takeQueue()) work.resolve(reply);
    this.#notifyIdle();
  }

  /** Stops this activation for good; the catalog routes its queued work to a fresh one. */
  abandon(): void {
    if (this.status === 'abandoned') return;
    this.#stop();
    this.deps.onAbandoned(this, this.#takeQueue());
    this.#notifyIdle();
  }

  #stop(): void {
    this.status = 'abandoned';
    this.record.close();
    this.#timers?.clear();
    void this.#taskRunner?.stop(0);
    this.workflow?.halt();
  }

  #takeQueue(): Work[] {
    const taken = this.queue?.splice(0) ?? [];
    this.deps.counters.queued -= taken.length;
    return taken;
  }

  #push(work: Work): void {
    this.queue ??= [];
    this.queue.push(work);
    this.deps.counters.queued += 1;
    void this.#pump();
  }

  /** Notes `id` as unanswered; the returned resolver answers the call and every copy that came meanwhile. */
  #track(id: string, call: IncomingCall, resolve: (reply: Reply) => void): (reply: Reply) => void {
    this.#unanswered ??= new UnansweredCalls();
    const unanswered = this.#unanswered;
    const answer = unanswered.track(id, () => callFingerprint(call.meta.method, call.input), resolve);
    return (reply) => {
      answer(reply);
      if (unanswered.size === 0 && this.#unanswered === unanswered) this.#unanswered = undefined;
    };
  }

  async #load(predecessor: Promise<void> | undefined): Promise<void> {
    if (predecessor) await predecessor;
    await loadInstance(this);
    if (this.status === 'loading') this.status = 'active';
    this.syncTasks();
    if (this.deps.workflows) {
      this.workflow = new WorkflowInstance(this, this.deps.workflows);
      this.workflow.open();
    }
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
        this.#fail(toColonyError(error, `activating ${this.address}`));
        return;
      }
      while (this.queue && this.queue.length > 0 && this.takesTurns) {
        const next = this.queue.shift() as Work;
        this.deps.counters.queued -= 1;
        await executeWork(this, next);
      }
    } finally {
      this.#pumping = false;
      this.#notifyIdle();
    }
  }

  #fail(error: ColonyError): void {
    this.status = 'failed';
    this.deps.log.warn(`activation of ${this.address} failed: ${error.message}`, { key: this.key, code: error.code, ...errorField(error.cause ?? error) });
    const reply = errorReply(error);
    for (const work of this.#takeQueue()) work.resolve(reply);
    this.deps.onAbandoned(this, []);
  }

  #notifyIdle(): void {
    if (!this.idle || !this.#idleWaiters) return;
    for (const waiter of this.#idleWaiters.splice(0)) waiter();
  }

  #fireTimer(name: string, method: string, input: unknown): void {
    const meta: CallMeta = { ...this.#internalMeta(`timer ${name}`), method };
    void this.enqueue({ meta, input }).then((reply) => {
      if (reply.status !== 'ok') this.deps.log.warn(`timer "${name}" of ${this.address} failed`, { key: this.key, status: reply.status, body: reply.body });
    });
  }

  #internalMeta(what: string): CallMeta {
    return { key: this.key, method: what, deadline: this.deps.now() + INTERNAL_TURN_TIMEOUT_MS, callId: '', chain: `${what}:${randomUUID()}`, depth: 0 };
  }
}
