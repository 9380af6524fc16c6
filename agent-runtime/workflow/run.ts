import { randomUUID } from 'node:crypto';
import { toColonyError } from '../activation/reply.ts';
import { ColonyError } from '../protocol/errors.ts';
import type { ErrorBody } from '../protocol/errors.ts';
import type { JournalEntry, StepKind } from '../protocol/workflow.ts';
import { WorkflowError } from '../sdk/errors.ts';
import type { RetryPolicy, WorkflowContext } from '../sdk/workflow.ts';
import { EffectQueue } from './effect-queue.ts';
import { EventInbox } from './event-inbox.ts';
import { JournalIndex } from './journal-index.ts';
import { nextRetryDelay, resolveRetry } from './retry.ts';
import { ContinueAsNew, workflowContext } from './run-context.ts';
import type { RunDeps, RunEnd } from './run-deps.ts';
import { childResult, describeStep, stepCallId } from './step.ts';
import type { ChildOutcome, Step, StepEffect, StepOutcome } from './step.ts';

const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/**
 * One run of a workflow instance: its body as a live coroutine, and its steps.
 *
 * Live, a step's result is journaled before the body sees it (JournalWriter
 * groups what completes meanwhile into one message, and the steps of a
 * message are resolved together). After a crash, a move or an unload the
 * body is replayed: the journal's messages are fed back in order, each
 * message's steps resolved together and the body let run between messages,
 * as it ran live; steps the journal completed are not run again, and a step
 * the body takes that the journal records otherwise fails the run as
 * nondeterministic. Then the steps still open run for real.
 */
export class WorkflowRun {
  readonly #deps: RunDeps;
  readonly #index = new JournalIndex();
  readonly #steps = new Map<number, Step>();
  readonly #inbox = new EventInbox();
  readonly #queue: EffectQueue;
  #deferred: (() => void)[] = [];
  #k = 0;
  #replaying = false;
  #suspended = false;
  #quiescing = false;
  #ended = false;
  #ctx: WorkflowContext;

  constructor(deps: RunDeps) {
    this.#deps = deps;
    this.#ctx = workflowContext(this, deps);
    this.#queue = new EffectQueue(deps.maxInflight, () => !this.#suspended && !this.#quiescing && !this.#ended, (step) => this.#attempt(step));
  }

  get replaying(): boolean {
    return this.#replaying;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Work in progress: effects running or waiting for a slot (unless suspended), or entries
   * queued for the journal (a message already in flight is not counted: quiesce waits for it).
   * A run only waiting (timers, events, children) is not busy.
   */
  get busy(): boolean {
    return this.#queue.running > 0 || this.#deps.journal.pending > 0 || (this.#queue.waiting > 0 && !this.#suspended);
  }

  get stepsTaken(): number {
    return this.#k;
  }

  /** Replays `messages` (a journal read back; none for a new run), then runs live. Resolves once live. */
  async start(messages: JournalEntry[][]): Promise<void> {
    this.#index.scan(messages);
    this.#replaying = messages.length > 0;
    this.#startBody();
    for (const message of messages) {
      await drain();
      if (this.#ended) return;
      this.#replayMessage(message);
    }
    await drain();
    this.#replaying = false;
    if (this.#ended) return;
    for (const step of [...this.#steps.values()].sort((a, b) => a.k - b.k)) this.#launch(step);
    this.#matchEvents();
  }

  /** An external event arrived: journaled, then given to the step waiting for it, or kept until one does. */
  async event(name: string, payload: unknown, id?: string): Promise<void> {
    if (!this.#inbox.claim(id)) return;
    await this.#deps.journal.append({ t: 'event', name, payload, at: this.#deps.now(), ...(id ? { id } : {}) }, () => this.#inbox.keep(name, payload));
    this.#matchEvents();
  }

  /** The durable timer of step `k` fired (a reminder): a sleep ends, a wait for an event times out. */
  async timerFired(k: number): Promise<void> {
    const step = this.#steps.get(k);
    if (!step || step.settled) return;
    if (step.kind === 'sleep') {
      await this.#complete(step, { ok: true, value: undefined });
    } else if (step.kind === 'event') {
      this.#inbox.unwait(step);
      await this.#complete(step, { ok: false, error: { code: 'deadline_exceeded', message: `waiting for event "${step.name}" timed out (${describeStep(k, step.kind, step.name)})` } });
    }
  }

  /** A child workflow of step `k` ended. */
  async childDone(k: number, outcome: ChildOutcome): Promise<void> {
    const step = this.#steps.get(k);
    if (!step || step.settled || step.kind !== 'child') return;
    await this.#complete(step, childResult(outcome, step));
  }

  suspend(): void {
    this.#suspended = true;
  }

  resume(): void {
    this.#suspended = false;
    const deferred = this.#deferred;
    this.#deferred = [];
    for (const deliver of deferred) deliver();
    this.#queue.pump();
  }

  /** Ends the run: no further step runs. Journaled. */
  async terminate(reason: string): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#queue.clear();
    await this.#deps.journal.append({ t: 'end', status: 'terminated', reason, at: this.#deps.now() });
  }

  /** Stops at once, writing nothing more (the activation is being dropped). */
  halt(): void {
    this.#ended = true;
    this.#queue.clear();
  }

  /** Stops starting steps and waits (at most `timeoutMs`) for those running and for the journal. */
  async quiesce(timeoutMs: number): Promise<void> {
    this.#quiescing = true;
    const until = Date.now() + timeoutMs;
    while ((this.#queue.running > 0 || this.#deps.journal.pending > 0) && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.race([this.#deps.journal.settled(), new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now())))]);
  }

  /** A step the body takes (the context calls this). */
  schedule(kind: StepKind, name: string, effect?: StepEffect, retry?: RetryPolicy, detail?: { ms?: number; timeoutMs?: number }): Promise<unknown> {
    if (this.#ended) return never();
    const k = this.#k;
    this.#k += 1;
    if (k >= this.#deps.maxSteps) {
      return Promise.reject(
        new WorkflowError('resource_exhausted', `this run took ${k} steps, the most one run may take; end long-running workflows with ctx.continueAsNew(input) to start a fresh run`, k),
      );
    }
    const recorded = this.#index.step(k);
    if (recorded && (recorded.step !== kind || recorded.name !== name)) {
      this.#nondeterministic(`${describeStep(k, recorded.step, recorded.name)} is in the journal, but the code now takes ${kind} ${name} there`);
      return never();
    }
    let resolve!: (value: unknown) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const started = this.#index.started(k) ?? this.#deps.now();
    const step: Step = {
      k,
      kind,
      name,
      callId: stepCallId(this.#deps.workflow, this.#deps.id, this.#deps.run, k),
      effect,
      retry: effect ? resolveRetry(retry, this.#deps.retry) : undefined,
      started,
      attempts: 0,
      settled: false,
      resolve,
      reject,
    };
    if (kind === 'sleep' || (kind === 'event' && detail?.timeoutMs !== undefined)) this.#index.planTimer(k, started + (detail?.ms ?? detail?.timeoutMs ?? 0));
    this.#steps.set(k, step);
    if (!this.#replaying) this.#launch(step);
    return promise;
  }

  /** `ctx.patched(id)`: see the SDK. */
  patched(id: string): boolean {
    if (this.#index.hasPatch(id, this.#k)) return true;
    // An older run replayed to a point its journal goes past takes the old path.
    if (this.#replaying && this.#k <= this.#index.lastStep) return false;
    void this.#deps.journal.append({ t: 'patch', id, k: this.#k, at: this.#deps.now() }).catch(() => undefined);
    this.#index.addPatch(id, this.#k);
    return true;
  }

  #startBody(): void {
    const body = (async () => this.#deps.body(this.#ctx, this.#deps.input))();
    body.then(
      (output) => this.#end({ status: 'completed', output: output === undefined ? null : JSON.parse(JSON.stringify(output)) }),
      (error: unknown) => {
        if (error instanceof ContinueAsNew) this.#end({ status: 'continued', input: error.input });
        else this.#end({ status: 'failed', error: toColonyError(error, `workflow ${this.#deps.workflow}/${this.#deps.id}`).toBody() });
      },
    );
  }

  #end(end: RunEnd): void {
    if (this.#ended) return;
    // Replayed to its end: the journal may say so already, and the record is written again either way.
    void (async () => {
      while (this.#replaying) await drain();
      if (this.#ended) return;
      this.#ended = true;
      this.#queue.clear();
      const at = this.#deps.now();
      const entry: JournalEntry =
        end.status === 'completed'
          ? { t: 'end', status: 'completed', value: end.output, at }
          : end.status === 'failed'
            ? { t: 'end', status: 'failed', error: end.error, at }
            : { t: 'end', status: 'continued', at };
      try {
        if (!this.#index.ended) await this.#deps.journal.append(entry);
        this.#deps.onEnd(end);
      } catch (error) {
        this.#deps.onBroken(error as Error);
      }
    })();
  }

  #nondeterministic(what: string): void {
    const message = `${what}: the workflow's code changed under a running workflow (or takes steps in an order that depends on something other than its steps' results). Keep the old code path for runs in flight with ctx.patched(), see the README`;
    this.#deps.log.error(`workflow ${this.#deps.workflow}/${this.#deps.id} is nondeterministic: ${what}`);
    this.#replaying = false;
    this.#end({ status: 'failed', error: { code: 'nondeterministic', message } });
  }

  #replayMessage(message: JournalEntry[]): void {
    for (const entry of message) {
      if (entry.t === 'event') {
        this.#inbox.claim(entry.id);
        this.#inbox.keep(entry.name, entry.payload);
        continue;
      }
      if (entry.t !== 'done') continue;
      const step = this.#steps.get(entry.k);
      if (!step) {
        this.#nondeterministic(`the journal has ${describeStep(entry.k, entry.step, entry.name)}, which the code did not take at that point`);
        return;
      }
      if (step.kind === 'event' && entry.ok) this.#inbox.takeReplayed(step.name);
      step.attempts = entry.attempts ?? 1;
      this.#settle(step, entry.ok ? { ok: true, value: entry.value } : { ok: false, error: entry.error });
    }
  }

  /** A step starts for real (live): effects are dispatched, timers set, values drawn, events matched. */
  #launch(step: Step): void {
    if (step.launched || step.settled) return;
    step.launched = true;
    const deps = this.#deps;
    switch (step.kind) {
      case 'activity':
      case 'call':
      case 'send':
      case 'child':
        this.#queue.push(step);
        this.#queue.pump();
        return;
      case 'sleep':
      case 'event': {
        const due = this.#index.timer(step.k);
        if (due !== undefined) this.#armTimer(step, due);
        if (step.kind === 'event') {
          this.#inbox.wait(step);
          this.#matchEvents();
        }
        return;
      }
      case 'now':
        void this.#complete(step, { ok: true, value: deps.now() });
        return;
      case 'random':
        void this.#complete(step, { ok: true, value: Math.random() });
        return;
      case 'uuid':
        void this.#complete(step, { ok: true, value: randomUUID() });
    }
  }

  #armTimer(step: Step, due: number): void {
    const set = (): void => {
      this.#deps.effects.setTimer(step.k, due).catch((error: unknown) => this.#deps.onBroken(error as Error));
    };
    if (this.#index.timerJournaled(step.k)) {
      set();
      return;
    }
    this.#index.markTimerJournaled(step.k);
    this.#deps.journal.append({ t: 'timer', k: step.k, due, at: this.#deps.now(), step: step.kind, name: step.name }).then(set, (error: unknown) => this.#deps.onBroken(error as Error));
  }

  /** Gives buffered events to the steps waiting for them, oldest first. */
  #matchEvents(): void {
    if (this.#replaying || this.#ended) return;
    for (const [step, payload] of this.#inbox.matches()) {
      if (this.#index.timer(step.k) !== undefined) this.#deps.effects.cancelTimer(step.k).catch(() => undefined);
      void this.#complete(step, { ok: true, value: payload });
    }
  }

  /** One attempt of a step's effect (after the delay its last retry set), and what follows from its outcome. */
  async #attempt(step: Step): Promise<void> {
    const retried = this.#index.retry(step.k);
    const attempt = (retried?.attempt ?? 0) + 1;
    const wait = retried ? Math.max(0, retried.at + retried.delayMs - this.#deps.now()) : 0;
    step.attempts = attempt;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref?.());
    let value: unknown;
    try {
      value = await this.#deps.effects.execute(step, attempt);
    } catch (error) {
      await this.#attemptFailed(step, attempt, toColonyError(error, describeStep(step.k, step.kind, step.name)).toBody());
      return;
    }
    await (step.kind === 'child' ? this.#childStarted(step) : this.#complete(step, { ok: true, value }));
  }

  async #attemptFailed(step: Step, attempt: number, error: ErrorBody): Promise<void> {
    const delayMs = step.retry ? nextRetryDelay(step.retry, attempt, error.code) : undefined;
    if (delayMs === undefined || this.#ended) {
      await this.#complete(step, { ok: false, error });
      return;
    }
    const at = this.#deps.now();
    await this.#deps.journal.append({ t: 'retry', k: step.k, attempt, error, delayMs, at, step: step.kind, name: step.name }).catch((failure: unknown) => this.#deps.onBroken(failure as Error));
    this.#index.noteRetry(step.k, attempt, at, delayMs);
    this.#queue.push(step);
  }

  async #childStarted(step: Step): Promise<void> {
    const effect = step.effect;
    if (effect?.kind !== 'child') return;
    const outcome = await this.#deps.effects.childOutcome(effect).catch(() => undefined);
    if (outcome) await this.#complete(step, childResult(outcome, step));
  }

  /** Journals the step's outcome; the step resolves when it is stored, with the others of its message. */
  async #complete(step: Step, outcome: StepOutcome): Promise<void> {
    if (step.settled || step.completing || this.#ended) return;
    step.completing = true;
    const at = this.#deps.now();
    const base = { t: 'done' as const, k: step.k, step: step.kind, name: step.name, started: step.started, at, ...(step.attempts > 1 ? { attempts: step.attempts } : {}) };
    const value = outcome.ok && outcome.value !== undefined ? JSON.parse(JSON.stringify(outcome.value)) : undefined;
    const entry: JournalEntry = outcome.ok ? { ...base, ok: true, ...(value === undefined ? {} : { value }) } : { ...base, ok: false, error: outcome.error };
    try {
      await this.#deps.journal.append(entry, () => this.#settle(step, outcome.ok ? { ok: true, value } : outcome));
    } catch (error) {
      if (outcome.ok && error instanceof ColonyError && error.code === 'result_too_large') {
        // A result too large for the journal fails its step, clearly; the journal itself is fine.
        step.completing = false;
        await this.#complete(step, { ok: false, error: error.toBody() });
        return;
      }
      this.#deps.onBroken(error as Error);
    }
  }

  /** Resolves the step's promise (held while the run is suspended). */
  #settle(step: Step, outcome: StepOutcome): void {
    if (step.settled) return;
    const deliver = (): void => {
      step.settled = true;
      this.#steps.delete(step.k);
      if (outcome.ok) step.resolve(outcome.value);
      else step.reject(new WorkflowError(outcome.error.code, outcome.error.message, step.k));
    };
    if (this.#suspended && !this.#replaying) this.#deferred.push(deliver);
    else deliver();
  }
}
