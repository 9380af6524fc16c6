import type { Activation } from '../activation/activation.ts';
import { purgeJournal, readJournal } from '../client/journal.ts';
import { readSummary } from '../client/workflow-records.ts';
import { errorField } from '../observability/log.ts';
import { journalInstanceFilter, journalSubject } from '../protocol/subjects.ts';
import { isFinished } from '../protocol/workflow.ts';
import type { WorkflowSummary } from '../protocol/workflow.ts';
import { JournalWriter } from './journal-writer.ts';
import { WorkflowRun } from './run.ts';
import type { RunEnd } from './run-deps.ts';
import type { ChildOutcome } from './step.ts';
import { executeEffect } from './workflow-deps.ts';
import type { WorkflowDeps } from './workflow-deps.ts';
import { cancelStepTimer, endedSummary, notifyParent, setStepTimer } from './record.ts';

/**
 * A workflow instance in an activation: the run of its body (WorkflowRun)
 * over its journal, and what connects them to the instance's record — the
 * summary in the record's state, durable timers as reminders, the end of a
 * run written as a turn.
 */
export class WorkflowInstance {
  readonly #activation: Activation;
  readonly #deps: WorkflowDeps;
  #run: WorkflowRun | undefined;
  #opening: Promise<void> | undefined;

  constructor(activation: Activation, deps: WorkflowDeps) {
    this.#activation = activation;
    this.#deps = deps;
  }

  get summary(): WorkflowSummary | null {
    return (this.#activation.state as WorkflowSummary | null) ?? null;
  }

  /** Opening, or its run is busy (WorkflowRun.busy): the instance stays resident. A run only waiting may be unloaded. */
  get busy(): boolean {
    return this.#opening !== undefined || (this.#run?.busy ?? false);
  }

  /** The run, once its journal is replayed (opened on first use). */
  async run(): Promise<WorkflowRun | undefined> {
    if (this.#opening) await this.#opening;
    return this.#run;
  }

  /**
   * Continues the run an activation finds in its record (running or
   * suspended). `fresh`: a run just started, whose journal is empty — it is
   * not read (a write that finds it is not empty fails, and the instance is
   * loaded again).
   */
  open(fresh = false): void {
    const summary = this.summary;
    if (!summary || isFinished(summary.status)) return;
    this.#opening ??= this.#open(summary, fresh).finally(() => {
      this.#opening = undefined;
    });
  }

  async #open(summary: WorkflowSummary, fresh: boolean): Promise<void> {
    const deps = this.#deps;
    const activation = this.#activation;
    const subject = journalSubject(deps.namespace, deps.workflow, summary.id, summary.run);
    let read;
    try {
      read = fresh ? { messages: [], lastSeq: 0 } : await readJournal(deps.jsm, subject);
    } catch (error) {
      activation.deps.log.error(`could not read the journal of workflow ${activation.address}; dropping the activation, the next call reads it again`, errorField(error));
      activation.abandon();
      return;
    }
    const journal = new JournalWriter(deps.js, subject, read.lastSeq, deps.journalBytes);
    const address = activation.address;
    const run = new WorkflowRun({
      workflow: deps.workflow,
      id: summary.id,
      run: summary.run,
      input: summary.input,
      body: deps.run,
      agent: deps.workflow,
      retry: deps.retry,
      journal,
      effects: {
        execute: (step, attempt) => executeEffect(deps, step, attempt, { id: summary.id, address }),
        setTimer: (k, due) => activation.update(() => setStepTimer(activation.record, k, due)),
        cancelTimer: (k) => activation.update(() => cancelStepTimer(activation.record, k)),
        childOutcome: async (effect) => {
          const child = await readSummary(deps.records, deps.namespace, effect.workflow, effect.id);
          return child && isFinished(child.status) ? { status: child.status, output: child.output, error: child.error } : undefined;
        },
      },
      now: activation.deps.now,
      log: activation.deps.log,
      onEnd: (end) => void this.#ended(end),
      onBroken: (error) => {
        activation.deps.log.warn(`the journal of workflow ${address} cannot be written (${error.message}); dropping the activation`, { key: activation.key });
        activation.abandon();
      },
      onStatus: (value) => {
        void activation
          .update((ctx) => {
            const current = ctx.state as WorkflowSummary | null;
            if (current) ctx.state = { ...current, customStatus: value, updatedAt: activation.deps.now() };
          })
          .catch(() => undefined);
      },
      maxInflight: deps.maxInflight,
      maxSteps: deps.maxSteps,
    });
    if (summary.status === 'suspended') run.suspend();
    this.#run = run;
    const replayStarted = performance.now();
    await run.start(read.messages);
    if (read.messages.length > 0) {
      const replayMs = Math.round(performance.now() - replayStarted);
      activation.deps.log.info(`workflow ${address} replayed ${run.stepsTaken} steps from ${read.messages.length} journal messages in ${replayMs} ms`, { key: activation.key, replayMs, steps: run.stepsTaken });
    }
  }

  /** The run ended: the record says so (a turn), the parent is told, a next run starts after continueAsNew. */
  async #ended(end: RunEnd): Promise<void> {
    const activation = this.#activation;
    const deps = this.#deps;
    let next: WorkflowSummary | undefined;
    try {
      await activation.update((ctx) => {
        const current = ctx.state as WorkflowSummary | null;
        if (!current || current.status === 'terminated') return;
        const summary = endedSummary(current, end, activation, deps.retentionMs);
        ctx.state = summary;
        if (end.status === 'continued') next = summary;
      });
    } catch (error) {
      activation.deps.log.error(`could not record the end of workflow ${activation.address}; dropping the activation, the next call replays it`, errorField(error));
      activation.abandon();
      return;
    }
    this.#run = undefined;
    if (next) {
      const finished = next;
      // The previous run's journal is not needed any more.
      void purgeJournal(deps.jsm, journalSubject(deps.namespace, deps.workflow, finished.id, finished.run - 1)).catch(() => undefined);
      this.open(true);
      return;
    }
    const summary = this.summary;
    if (summary?.parent) await notifyParent(deps, activation, summary);
  }

  async event(name: string, payload: unknown, id: string): Promise<void> {
    const run = await this.run();
    await run?.event(name, payload, id);
  }

  async timerFired(k: number): Promise<void> {
    const run = await this.run();
    await run?.timerFired(k);
  }

  async childDone(k: number, outcome: ChildOutcome): Promise<void> {
    const run = await this.run();
    await run?.childDone(k, outcome);
  }

  async suspend(): Promise<void> {
    (await this.run())?.suspend();
  }

  async resume(): Promise<void> {
    (await this.run())?.resume();
  }

  async terminate(reason: string): Promise<void> {
    const run = await this.run();
    await run?.terminate(reason).catch(() => undefined);
    this.#run = undefined;
    const summary = this.summary;
    if (summary?.parent) await notifyParent(this.#deps, this.#activation, summary);
  }

  /** Removes the instance's journal (every run): its record is deleted by the purge verb's turn. */
  async purge(id: string): Promise<void> {
    await purgeJournal(this.#deps.jsm, journalInstanceFilter(this.#deps.namespace, this.#deps.workflow, id));
  }

  /** Drain: no new steps; waits (at most `timeoutMs`) for those running and for the journal. */
  async quiesce(timeoutMs: number): Promise<void> {
    if (this.#opening) await this.#opening.catch(() => undefined);
    await this.#run?.quiesce(timeoutMs);
  }

  /** The activation is dropped: stop writing at once. */
  halt(): void {
    this.#run?.halt();
    this.#run = undefined;
  }
}
