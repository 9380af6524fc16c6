import type { StructuredLogger } from '../observability/log.ts';
import type { ErrorBody } from '../protocol/errors.ts';
import type { RetryPolicy, WorkflowFn } from '../sdk/workflow.ts';
import type { Journal } from './journal-writer.ts';
import type { ChildOutcome, Step, StepEffect } from './step.ts';

/** What the host does for a run: the steps' effects elsewhere, and durable timers. */
export interface RunEffects {
  /** Runs one attempt of an activity, a call, a send, or starts a child; resolves with its value. */
  execute(step: Step, attempt: number): Promise<unknown>;
  /** Sets the durable timer of step `k` (a reminder of the instance); idempotent. */
  setTimer(k: number, due: number): Promise<void>;
  cancelTimer(k: number): Promise<void>;
  /** How a child ended, when it has (read from its record), for a child step still waiting after a replay. */
  childOutcome(effect: Extract<StepEffect, { kind: 'child' }>): Promise<ChildOutcome | undefined>;
}

/** How a run's body ended (a run terminated by request is ended by the terminate verb, not by its body). */
export type RunEnd = { status: 'completed'; output: unknown } | { status: 'failed'; error: ErrorBody } | { status: 'continued'; input: unknown };

export interface RunDeps {
  workflow: string;
  id: string;
  run: number;
  input: unknown;
  body: WorkflowFn;
  /** The agent whose pods run this workflow's own activities. */
  agent: string;
  retry: RetryPolicy | undefined;
  journal: Journal;
  effects: RunEffects;
  now(): number;
  log: StructuredLogger;
  /** The run ended (once); its end entry is stored. */
  onEnd(end: RunEnd): void;
  /** The journal cannot be written any more (another activation took the instance, or JetStream failed). */
  onBroken(error: Error): void;
  onStatus(value: unknown): void;
  /** Steps with an effect elsewhere running at once, at most. */
  maxInflight: number;
  /** Steps one run may take before it must continue as new. */
  maxSteps: number;
}
