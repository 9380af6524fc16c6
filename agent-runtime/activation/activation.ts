import type { CallMeta } from '../protocol/envelope.ts';
import { ColonyError } from '../protocol/errors.ts';
import { errorField } from '../protocol/log.ts';
import type { StructuredLogger } from '../protocol/log.ts';
import type { Durability } from '../protocol/pod-env.ts';
import type { StateStore } from '../state/state-store.ts';
import { encodeRecord, pruneCalls } from '../state/stored-record.ts';
import type { StoredReply } from '../state/stored-record.ts';
import type { Caller } from './caller.ts';
import type { LoadedAgent } from './loaded-agent.ts';
import { errorReply, okReply, toColonyError } from './reply.ts';
import type { Reply } from './reply.ts';
import { stepProbe } from './deadlock.ts';
import type { Probe } from './deadlock.ts';
import { TurnContext } from './turn-context.ts';
import type { TurnScope } from './turn-context.ts';

/** A call delivered to an instance. */
export interface IncomingCall {
  meta: CallMeta;
  input: unknown;
}

/**
 * Lifecycle of an activation:
 * loading → active → deactivating → closed; loading → failed;
 * any → abandoned (a turn hung past its deadline, or its state could not be written).
 */
export type ActivationStatus = 'loading' | 'active' | 'deactivating' | 'closed' | 'failed' | 'abandoned';

/** What an activation needs from its catalog. */
export interface ActivationDeps {
  podId: string;
  agent: LoadedAgent;
  store: StateStore;
  durability: Durability;
  caller: Caller;
  log: StructuredLogger;
  now: () => number;
  /** How long a turn may run past its deadline before its activation is abandoned. */
  turnGraceMs: number;
  /** Longest time onDeactivate may take. */
  hookTimeoutMs: number;
  maxMailbox: number;
  /** Calls waiting for this activation to finish being retired, before it loads. */
  predecessor: Promise<void> | undefined;
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

/**
 * One virtual agent instance in memory: its state, its mailbox, and the turns
 * it runs one at a time (except calls along the call chain of the running turn,
 * which run at once so that A → B → A does not deadlock).
 */
export class Activation {
  readonly key: string;
  readonly partition: number;
  readonly activationId: string;
  state: unknown;
  status: ActivationStatus = 'loading';
  lastUsedAt: number;

  readonly #deps: ActivationDeps;
  readonly #where: string;
  readonly #queue: Pending[] = [];
  readonly #calls = new Map<string, StoredReply>();
  readonly #ready: Promise<void>;
  #persistedJson = 'null';
  #revision = 0;
  #dirty = false;
  #writing: Promise<void> | undefined;
  #pumping = false;
  #runningChain: string | undefined;
  #inTurn = 0;
  #idleWaiters: (() => void)[] = [];
  /** Instances (`agent/key`) the running turns of this activation wait on, with counts. */
  #waitingOn: Map<string, number> | undefined;

  constructor(key: string, partition: number, activationId: string, deps: ActivationDeps) {
    this.key = key;
    this.partition = partition;
    this.activationId = activationId;
    this.#deps = deps;
    this.#where = `${deps.agent.name}/${key}`;
    this.lastUsedAt = deps.now();
    this.#ready = this.#load();
    // Loading errors are delivered to the queued calls by #pump; never unhandled.
    this.#ready.catch(() => undefined);
  }

  /** True when nothing runs and nothing waits. */
  get idle(): boolean {
    return this.#inTurn === 0 && this.#queue.length === 0 && !this.#pumping;
  }

  get queued(): number {
    return this.#queue.length;
  }

  waitingOn(target: string, delta: 1 | -1): void {
    this.#waitingOn ??= new Map();
    const count = (this.#waitingOn.get(target) ?? 0) + delta;
    if (count > 0) this.#waitingOn.set(target, count);
    else this.#waitingOn.delete(target);
    if (delta === 1) this.#probeIfBlocking();
  }

  get podId(): string {
    return this.#deps.podId;
  }

  /** `agent/key` of this instance. */
  get address(): string {
    return this.#where;
  }

  /**
   * While this instance waits on others and calls from other instances wait
   * on it, it may close a wait cycle: probe along what it waits on.
   */
  #probeIfBlocking(): void {
    if (!this.#waitingOn || this.#waitingOn.size === 0) return;
    if (!this.#queue.some((pending) => pending.call.meta.caller && !pending.call.meta.oneway)) return;
    for (const target of this.#waitingOn.keys()) this.#deps.sendProbe(target, { origin: this.#where, path: [] });
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

  #refuseQueuedFrom(caller: string, cycle: string): void {
    const error = new ColonyError(
      'aborted',
      `deadlock avoided: ${cycle}; the call of ${caller} to ${this.#where} was refused, retry it`,
    );
    for (let i = this.#queue.length - 1; i >= 0; i -= 1) {
      const pending = this.#queue[i] as Pending;
      if (pending.call.meta.caller !== caller || pending.call.meta.oneway) continue;
      this.#queue.splice(i, 1);
      this.#deps.counters.queued -= 1;
      pending.resolve(errorReply(error));
    }
  }

  /** Accepts a call into the mailbox (or runs it at once when it belongs to the running chain). */
  enqueue(call: IncomingCall): Promise<Reply> {
    this.lastUsedAt = this.#deps.now();
    return new Promise<Reply>((resolve) => {
      const pending: Pending = { call, resolve };
      const running = this.status === 'active' || this.status === 'deactivating';
      if (running && this.#inTurn > 0 && this.#runningChain === call.meta.chain) {
        void this.#execute(pending);
        return;
      }
      const deadlock = this.#deadlock(call);
      if (deadlock) {
        resolve(errorReply(deadlock));
        return;
      }
      if (this.#queue.length >= this.#deps.maxMailbox) {
        resolve(
          errorReply(
            new ColonyError(
              'resource_exhausted',
              `${this.#where} has ${this.#queue.length} calls waiting (limit ${this.#deps.maxMailbox}); slow down or spread the load over more keys`,
              { retryAfterSeconds: 1 },
            ),
          ),
        );
        return;
      }
      this.#queue.push(pending);
      this.#deps.counters.queued += 1;
      if (call.meta.caller && !call.meta.oneway) this.#probeIfBlocking();
      void this.#pump();
    });
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

  /** Resolves when the mailbox is empty and no turn runs. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Runs onDeactivate and persists. The catalog has already stopped routing
   * calls here; calls still in the mailbox run first.
   */
  async deactivate(): Promise<void> {
    if (this.status !== 'active' && this.status !== 'loading') return;
    this.status = 'deactivating';
    await this.#ready.catch(() => undefined);
    await this.whenIdle();
    if (this.status !== 'deactivating') return;
    const hook = this.#deps.agent.onDeactivate;
    if (hook) {
      const deadline = this.#deps.now() + this.#deps.hookTimeoutMs;
      const outcome = await this.#runHook(hook, deadline, 'onDeactivate');
      if (outcome instanceof ColonyError) this.#deps.log.error(outcome.message, { key: this.key });
      else await this.#commit('', undefined);
    }
    try {
      await this.#flush();
    } catch (error) {
      this.#deps.log.error(`could not persist the state of ${this.#where} while deactivating`, { key: this.key, ...errorField(error) });
    }
    if (this.status === 'deactivating') this.status = 'closed';
  }

  async #load(): Promise<void> {
    if (this.#deps.predecessor) await this.#deps.predecessor;
    const { agent, store } = this.#deps;
    let loaded;
    try {
      loaded = await store.load(this.key);
    } catch (cause) {
      throw new ColonyError('unavailable', `could not load the state of ${this.#where}: ${(cause as Error).message}`, {
        cause,
        retryAfterSeconds: 1,
      });
    }
    this.#revision = loaded.revision;
    if (loaded.record) {
      this.state = loaded.record.state;
      for (const [id, reply] of loaded.record.calls) this.#calls.set(id, reply);
      this.#persistedJson = JSON.stringify(this.state) ?? 'null';
    } else {
      try {
        this.state = agent.initialState();
        this.#persistedJson = JSON.stringify(this.state) ?? 'null';
      } catch (cause) {
        throw new ColonyError('method_failed', `the state factory of agent ${agent.name} failed: ${(cause as Error).message}`, { cause });
      }
    }
    if (agent.onActivate) {
      const outcome = await this.#runHook(agent.onActivate, this.#deps.now() + this.#deps.hookTimeoutMs, 'onActivate');
      if (outcome instanceof ColonyError) throw outcome;
      const committed = await this.#commit('', undefined);
      if (committed && committed.status !== 'ok') throw new ColonyError('unavailable', `${this.#where}: onActivate could not persist`);
    }
    if (this.status === 'loading') this.status = 'active';
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
      while (this.#queue.length > 0 && (this.status === 'active' || this.status === 'deactivating')) {
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
    for (const pending of this.#queue.splice(0)) {
      this.#deps.counters.queued -= 1;
      pending.resolve(reply);
    }
    this.#deps.onAbandoned(this, []);
  }

  #notifyIdle(): void {
    if (!this.idle) return;
    for (const waiter of this.#idleWaiters.splice(0)) waiter();
  }

  async #execute(pending: Pending): Promise<void> {
    const { meta, input } = pending.call;
    const deps = this.#deps;
    if (this.status === 'abandoned') {
      deps.onAbandoned(this, [pending]);
      return;
    }
    const remembered = meta.callId ? this.#calls.get(meta.callId) : undefined;
    if (remembered) {
      pending.resolve({ status: remembered.status, body: remembered.body });
      return;
    }
    const startedAt = deps.now();
    if (startedAt >= meta.deadline) {
      pending.resolve(errorReply(this.#deadlineError(meta, 'waiting in the mailbox')));
      return;
    }
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

    this.#inTurn += 1;
    this.#runningChain = meta.chain;
    deps.counters.inflight += 1;
    const abort = new AbortController();
    const scope: TurnScope = { ...meta, agent: deps.agent.name };
    const log = deps.log.child({ key: this.key, method: meta.method, callId: meta.callId });
    const ctx = new TurnContext(this, scope, abort.signal, deps.caller, log, deps.now);
    const where = `${deps.agent.name}.${meta.method} on ${this.key}`;
    const run = (async () => method.fn(ctx, input))();
    try {
      const outcome = await raceDeadline(run, meta.deadline - startedAt, abort);
      if (outcome === DEADLINE) {
        pending.resolve(errorReply(this.#deadlineError(meta, 'running')));
        await this.#afterDeadline(run, where);
        return;
      }
      pending.resolve(await this.#commit(meta.callId, okReply(outcome)));
    } catch (thrown) {
      this.#rollback();
      const error = toColonyError(thrown, where);
      if (error.code === 'method_failed' || error.code === 'internal') log.warn(error.message, errorField(thrown));
      pending.resolve(errorReply(error));
    } finally {
      deps.counters.inflight -= 1;
      this.#inTurn -= 1;
      if (this.#inTurn === 0) this.#runningChain = undefined;
      this.lastUsedAt = deps.now();
      deps.onTurn(this.lastUsedAt - startedAt);
      this.#notifyIdle();
    }
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
    this.#rollback();
  }

  #deadlineError(meta: CallMeta, phase: string): ColonyError {
    return new ColonyError(
      'deadline_exceeded',
      `${this.#deps.agent.name}.${meta.method} on ${this.key} passed its deadline while ${phase}; its state change, if any, was discarded`,
    );
  }

  async #runHook(
    hook: (ctx: TurnContext) => void | Promise<void>,
    deadline: number,
    name: string,
  ): Promise<ColonyError | undefined> {
    const abort = new AbortController();
    const scope: TurnScope = {
      agent: this.#deps.agent.name,
      key: this.key,
      callId: '',
      chain: `${name}:${this.#where}`,
      depth: 0,
      deadline,
    };
    const log = this.#deps.log.child({ key: this.key, hook: name });
    const ctx = new TurnContext(this, scope, abort.signal, this.#deps.caller, log, this.#deps.now);
    try {
      const outcome = await raceDeadline((async () => hook(ctx))(), deadline - this.#deps.now(), abort);
      if (outcome === DEADLINE) return new ColonyError('deadline_exceeded', `${name} of ${this.#where} passed its deadline`);
      return undefined;
    } catch (thrown) {
      this.#rollback();
      return toColonyError(thrown, `${name} of ${this.#where}`);
    }
  }

  /**
   * Ends a turn: if the state changed, remembers the reply under the call id
   * and persists as the durability mode says. Returns the reply to send.
   */
  async #commit(callId: string, reply: Reply | undefined): Promise<Reply> {
    let stateJson: string;
    try {
      stateJson = JSON.stringify(this.state) ?? 'null';
    } catch (cause) {
      this.#rollback();
      return errorReply(
        new ColonyError('method_failed', `the state of ${this.#where} is not JSON-serialisable: ${(cause as Error).message}`, { cause }),
      );
    }
    const result = reply ?? { status: 'ok' };
    if (stateJson === this.#persistedJson) return result;
    const now = this.#deps.now();
    if (callId) {
      this.#calls.set(callId, { status: result.status, body: result.body, at: now });
      pruneCalls(this.#calls, now);
    }
    this.#persistedJson = stateJson;
    if (this.#deps.durability === 'none') return result;
    this.#dirty = true;
    if (this.#deps.durability === 'async') {
      this.#flush().catch((error: unknown) => {
        this.#deps.log.error(`could not persist the state of ${this.#where} (durability: async); acknowledged changes may be lost`, {
          key: this.key,
          ...errorField(error),
        });
        this.#abandon();
      });
      return result;
    }
    try {
      await this.#flush();
      return result;
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
  }

  /** Writes the latest state if it is dirty; writes of one instance never overlap. */
  async #flush(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (!this.#dirty) return;
    if (this.status === 'abandoned') {
      throw new ColonyError('unavailable', `${this.#where} was dropped by its pod before its state was written; retry the call`, {
        retryAfterSeconds: 1,
      });
    }
    this.#dirty = false;
    const json = encodeRecord(this.#persistedJson, this.#calls);
    this.#writing = this.#deps.store.save(this.key, json, this.#revision).then(
      (revision) => {
        this.#revision = revision;
        this.#writing = undefined;
      },
      (error: unknown) => {
        this.#writing = undefined;
        throw error;
      },
    );
    await this.#writing;
  }

  #rollback(): void {
    this.state = JSON.parse(this.#persistedJson);
  }

  /**
   * Drops this activation without persisting anything (the pod is no longer
   * sure it owns the key): queued calls fail with `error`, running turns can
   * no longer write.
   */
  discard(error: ColonyError): void {
    if (this.status === 'abandoned') return;
    this.status = 'abandoned';
    const reply = errorReply(error);
    for (const pending of this.#queue.splice(0)) {
      this.#deps.counters.queued -= 1;
      pending.resolve(reply);
    }
    this.#notifyIdle();
  }

  /** Stops this activation for good; the catalog routes its queued calls to a fresh one. */
  #abandon(): void {
    if (this.status === 'abandoned') return;
    this.status = 'abandoned';
    const orphans = this.#queue.splice(0);
    this.#deps.counters.queued -= orphans.length;
    this.#deps.onAbandoned(this, orphans);
    this.#notifyIdle();
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
