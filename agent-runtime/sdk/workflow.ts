import type { CallOptions, Logger } from './context.ts';
import type { AnyAgentDefinition, CallClient, JsonValue, SendClient } from './types.ts';

/**
 * When and how often a failed step is tried again. Attempt n+1 waits
 * `initialDelayMs × backoff^(n-1)` (at most `maxDelayMs`), on a durable timer.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included (1: never retried). */
  attempts?: number;
  initialDelayMs?: number;
  backoff?: number;
  maxDelayMs?: number;
  /** Error codes that are final: a step that fails with one is not tried again (besides the codes that are never retryable). */
  nonRetryable?: string[];
}

export interface StepOptions {
  /** How long one attempt may take, ms (default: 60 s for activities, 30 s for calls). */
  timeoutMs?: number;
  retry?: RetryPolicy;
}

export interface EventOptions {
  /** Give up waiting after this long, ms (a durable timer): the wait rejects with a `deadline_exceeded` WorkflowError. */
  timeoutMs?: number;
}

/** What an activity function gets: it runs outside any instance, at least once per step. */
export interface ActivityContext {
  /** The Agent whose pods run it. */
  readonly agent: string;
  /** The activity's name. */
  readonly name: string;
  /**
   * The step's call id (`wf:<workflow>/<id>:<run>:<step>`): the same on every
   * attempt and after a crash. Calls the activity makes get ids derived from
   * it, so their effect on an instance is once even when the activity runs twice.
   */
  readonly callId: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** The workflow instance that asked (`workflow/id`). */
  readonly workflow: string;
  readonly deadline: number;
  /** Aborted at the attempt's deadline, or when the pod drains. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  call<D extends AnyAgentDefinition>(agent: string, key: string, options?: CallOptions): CallClient<D>;
  send<D extends AnyAgentDefinition>(agent: string, key: string, options?: CallOptions): SendClient<D>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an activity's input type is the author's choice.
export type ActivityFn = (ctx: ActivityContext, input: any) => unknown;

/** A typed client of a definition's activities: each runs as one journaled step. */
export type ActivityClient<D> = {
  [K in keyof ActivitiesOf<D>]: (...input: ActivityInput<ActivitiesOf<D>[K]>) => Promise<Awaited<ReturnType<ActivitiesOf<D>[K]>>>;
};

/** The activities of a definition (`typeof myWorkflow`), or an object of activity functions itself (`typeof activities`). */
type ActivitiesOf<D> = D extends { activities?: infer A } ? (A extends Record<string, ActivityFn> ? A : never) : D extends Record<string, ActivityFn> ? D : never;
type ActivityInput<F> = F extends (ctx: ActivityContext, ...rest: infer R) => unknown ? R : never;

/**
 * What a workflow's body gets. Every step that is not deterministic goes
 * through it and is journaled before the body sees its result; after a
 * crash, a move or an unload, the body is replayed from the journal, so it
 * must take the same steps in the same order given the same results:
 * no Date.now(), Math.random(), timers, I/O or global state of its own —
 * `now()`, `random()`, `uuid()`, `sleep()` and the clients stand in for them.
 */
export interface WorkflowContext {
  /** The workflow instance's id. */
  readonly id: string;
  /** The workflow's name (its Agent's). */
  readonly workflow: string;
  /** 1 for the first run, one more after each continueAsNew. */
  readonly run: number;
  /** True while the body is replayed from the journal: logs say so, effects do not happen again. */
  readonly replaying: boolean;
  readonly log: Logger;
  /** This workflow's own activities (declared in its definition): `ctx.activities<typeof myWorkflow>().charge(input)`. */
  activities<D>(options?: StepOptions): ActivityClient<D>;
  /** The activities of another Agent, run by its pods. */
  activitiesOf<D>(agent: string, options?: StepOptions): ActivityClient<D>;
  /** Calls an instance; the call id is derived from the step, so it runs once on the instance. */
  call<D extends AnyAgentDefinition>(agent: string, key: string, options?: StepOptions): CallClient<D>;
  /** Sends a one-way call to an instance. */
  send<D extends AnyAgentDefinition>(agent: string, key: string, options?: StepOptions): SendClient<D>;
  /** A durable timer: resolves after `ms`, however long, across restarts and moves. */
  sleep(ms: number): Promise<void>;
  /** Waits for the external event `name` (POST …/events/{name}) and resolves with its payload. */
  waitForEvent<T = JsonValue>(name: string, options?: EventOptions): Promise<T>;
  /** Starts the workflow `workflow` as a child with `id` and waits for its output (its failure rejects). */
  child<T = JsonValue>(workflow: string, id: string, input?: unknown): Promise<T>;
  /** Ends this run and starts the next with `input`, same id, an empty journal: for workflows that run forever. */
  continueAsNew(input?: unknown): never;
  /** The time, as journaled the first time this step ran. */
  now(): Promise<number>;
  /** A random number in [0, 1), journaled. */
  random(): Promise<number>;
  /** A random UUID, journaled. */
  uuid(): Promise<string>;
  /** Sets the custom status shown by GET …/{id} (any JSON). */
  setStatus(value: unknown): void;
  /**
   * Versioning: true when this run took the code path marked `id` (every run
   * started after the marker was added), false when it is an older run replayed
   * past that point. Keep both paths until no older run is left.
   */
  patched(id: string): boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a workflow's input type is the author's choice.
export type WorkflowFn = (ctx: WorkflowContext, input: any) => Promise<unknown>;

export interface WorkflowOptions<A extends Record<string, ActivityFn>, R extends WorkflowFn = WorkflowFn> {
  /** The body: ordinary async code; its return value is the workflow's output. */
  run: R;
  /** Activities this workflow's pods run: stateless functions, at least once, dispatched over all the Agent's pods. */
  activities?: A;
  /** The retry policy of every step unless the step gives its own. */
  retry?: RetryPolicy;
}

declare const workflowBrand: unique symbol;

/** A workflow definition: `A` its activities, `R` its body, whose input and output a typed client reads (`colony/client`). */
export interface WorkflowDefinition<A extends Record<string, ActivityFn>, R extends WorkflowFn = WorkflowFn> extends WorkflowOptions<A, R> {
  readonly [workflowBrand]: true;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any definition, for constraints.
export type AnyWorkflowDefinition = WorkflowDefinition<any>;

const DEFINITION = Symbol.for('colony.workflow-definition');

/**
 * Defines a durable workflow. Export it from the module an Agent manifest
 * names, as for an agent; start instances with
 * `POST /v1/workflows/{name}/{id}` or `colony workflow start`.
 */
export function defineWorkflow<A extends Record<string, ActivityFn> = Record<string, never>, R extends WorkflowFn = WorkflowFn>(options: WorkflowOptions<A, R>): WorkflowDefinition<A, R> {
  if (typeof options?.run !== 'function') throw new TypeError('defineWorkflow needs a `run` function: the workflow body');
  return Object.freeze({ ...options, [DEFINITION]: true }) as unknown as WorkflowDefinition<A, R>;
}

/** True when `value` was made by defineWorkflow (in any copy of the SDK). */
export function isWorkflowDefinition(value: unknown): value is AnyWorkflowDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DEFINITION] === true;
}
