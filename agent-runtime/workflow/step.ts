import type { ErrorBody } from '../protocol/errors.ts';
import type { StepKind, WorkflowStatus } from '../protocol/workflow.ts';
import type { ResolvedRetry } from './retry.ts';

/** What a step with an effect elsewhere asks the host to do. */
export type StepEffect =
  | { kind: 'activity'; agent: string; activity: string; input: unknown; timeoutMs: number }
  | { kind: 'call' | 'send'; agent: string; key: string; method: string; input: unknown; timeoutMs: number }
  | { kind: 'child'; workflow: string; id: string; input: unknown };

/** One step the body took: the k-th, from 0. */
export interface Step {
  k: number;
  kind: StepKind;
  /** What it is, for the journal, the history and nondeterminism errors: `add`, `counter.increment`, `decision`. */
  name: string;
  /** Its call id: the same on every attempt, after a crash and on replay. */
  callId: string;
  effect?: StepEffect | undefined;
  retry?: ResolvedRetry | undefined;
  /** When it was first scheduled (the journal's, on replay). */
  started: number;
  /** Attempts so far (the one running included). */
  attempts: number;
  settled: boolean;
  /** Its outcome is being journaled: it resolves when that is stored. */
  completing?: boolean;
  /** It started for real (live): its effect was dispatched, its timer set. */
  launched?: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** How a child workflow ended, as its parent's step sees it. */
export interface ChildOutcome {
  status: WorkflowStatus;
  output?: unknown;
  error?: ErrorBody | undefined;
}

/** The call id of step `k` of run `run` of a workflow instance. */
export function stepCallId(workflow: string, id: string, run: number, k: number): string {
  return `wf:${workflow}/${id}:${run}:${k}`;
}

/** `step 3 (activity add)` */
export function describeStep(k: number, kind: StepKind, name: string): string {
  return `step ${k} (${kind} ${name})`;
}

/** How a step ended: its value, or its error. */
export type StepOutcome = { ok: true; value: unknown } | { ok: false; error: ErrorBody };

/** A child step's outcome from how the child ended. */
export function childResult(outcome: ChildOutcome, step: Step): StepOutcome {
  if (outcome.status === 'completed') return { ok: true, value: outcome.output };
  return {
    ok: false,
    error: outcome.error ?? { code: 'aborted', message: `child workflow ${step.name} ended ${outcome.status}` },
  };
}
