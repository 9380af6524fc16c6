import type { AnyAgentDefinition, CallClient, JsonValue, SendClient } from './types.ts';

/** Structured logging for agent code; fields end up as JSON next to the message. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface CallOptions {
  /** How long the call may take, ms. Defaults to what is left of the current turn's deadline. */
  timeoutMs?: number;
  /**
   * Idempotency key of the call. By default it is derived from the current
   * call's id and the position of this call in the turn, so a retried turn
   * repeats the same ids and each callee runs at most once.
   */
  callId?: string;
}

export interface ReminderOptions {
  /** The method of this agent to call when the reminder is due. */
  method: string;
  /** Its input. */
  input?: JsonValue;
  /** When: an absolute time (ms since the epoch, or a Date)… */
  at?: number | Date;
  /** …or a delay from now, ms. */
  afterMs?: number;
  /** Repeat every this many ms after the first fire. Missed fires (pod down) collapse into one. */
  everyMs?: number;
}

export interface ReminderInfo {
  name: string;
  method: string;
  input?: unknown;
  /** When it is due next, ms since the epoch. */
  dueAt: number;
  everyMs?: number;
}

/**
 * Durable reminders: stored with the instance's state (set or cancelled when
 * the turn commits; a turn that fails changes none), owned with its
 * partition, fired even when the instance is not active, surviving restarts
 * and moves. A fire runs the method as a turn with call id
 * `reminder:<name>:<dueAt>`, so no fire runs twice; a fire that fails is
 * retried with backoff until it succeeds or is cancelled.
 */
export interface Reminders {
  set(name: string, options: ReminderOptions): void;
  /** Returns whether there was such a reminder. */
  cancel(name: string): boolean;
  get(name: string): ReminderInfo | undefined;
  list(): ReminderInfo[];
}

export interface TimerOptions {
  method: string;
  input?: JsonValue;
  afterMs: number;
  everyMs?: number;
}

/**
 * In-memory timers of this activation: they fire turns on this instance
 * while it stays active (a pending timer keeps it resident) and are gone
 * when it is deactivated or moves. Use reminders for what must survive.
 */
export interface Timers {
  set(name: string, options: TimerOptions): void;
  cancel(name: string): boolean;
  has(name: string): boolean;
}

/**
 * Background tasks: long-running functions of this instance (declared in the
 * definition's `tasks`) that run outside turns, with no time limit. Starting
 * one is recorded with the state when the turn commits; it keeps the instance
 * resident; on drain its signal is aborted, and the next owner of the
 * partition starts it again (it should resume from state). It ends when its
 * function returns.
 */
export interface Tasks {
  start(name: string, input?: JsonValue): void;
  running(name: string): boolean;
}

/**
 * A method's streamed reply (decision 21). Writing makes the call stream: a
 * caller that reads streams (the gateway with `Accept: text/event-stream`,
 * `colony invoke --stream`) gets each chunk as it is written; any other
 * caller (the gateway without it, `ctx.call` from an agent) gets the chunks
 * collected into an array. A method may instead return an async iterable
 * (an `async function*`): its values are the chunks.
 */
export interface ReplyStream {
  /**
   * Sends one chunk (a JSON value, at most the NATS payload limit as JSON).
   * Resolves once the caller has room for it: a slow reader slows the method
   * down rather than chunks piling up. Rejects when the caller went away, the
   * deadline passed or the pod drains (then `ctx.signal` is aborted too).
   */
  write(chunk: JsonValue): Promise<void>;
}

/**
 * What a method, `onActivate` and `onDeactivate` get. One context per turn;
 * do not keep it after the turn ends.
 */
export interface AgentContext<S> {
  /** Name of the Agent this instance belongs to, e.g. `counter`. */
  readonly agent: string;
  /** The instance key, e.g. `alice`. */
  readonly key: string;
  /**
   * The instance's state. Change it in place or assign a new value; the change
   * is persisted when the turn ends (before the reply, with `durability: turn`).
   * A turn that throws leaves the state as it was before the turn.
   */
  state: S;
  readonly log: Logger;
  /** Aborted when the turn's deadline passes, or (for a streamed reply) the caller goes away or the pod drains. */
  readonly signal: AbortSignal;
  /** This call's streamed reply: chunks written here reach the caller as they are written. */
  readonly stream: ReplyStream;
  /** Absolute deadline of this turn, ms since the Unix epoch. */
  readonly deadline: number;
  /** Id of the call this turn handles (empty in lifecycle hooks). */
  readonly callId: string;
  /** The pod this instance runs on (for logs and diagnostics). */
  readonly podId: string;
  /** Unique id of this activation: it changes each time the instance is activated again. */
  readonly activationId: string;
  /** Durable reminders of this instance. */
  readonly reminders: Reminders;
  /** In-memory timers of this activation. */
  readonly timers: Timers;
  /** Background tasks of this instance. */
  readonly tasks: Tasks;
  /** Set when this turn was started by a reminder. */
  readonly reminder: { name: string; dueAt: number } | undefined;
  /** A typed client that calls methods of another instance and waits for the result. */
  call<D extends AnyAgentDefinition>(agent: string, key: string, options?: CallOptions): CallClient<D>;
  /** A typed client that sends one-way messages to another instance; resolves once sent. */
  send<D extends AnyAgentDefinition>(agent: string, key: string, options?: CallOptions): SendClient<D>;
  /**
   * Publishes `event` (JSON) to `topic` when the turn commits, with its state:
   * a turn that fails publishes nothing, and a committed one's events reach
   * the topic even if the pod dies right after (they are stored with the
   * state until published). Returns the event's id.
   */
  publish(topic: string, event: JsonValue): string;
}

/** What a background task gets: no state of its own; it changes state through turns. */
export interface TaskContext<S> {
  readonly agent: string;
  readonly key: string;
  readonly podId: string;
  readonly log: Logger;
  /** Aborted when the instance is deactivated or its pod drains: return soon; the task resumes elsewhere. */
  readonly signal: AbortSignal;
  /** Runs `fn` as a turn of the instance (queued like a call), persists the change, and returns fn's result. */
  update<T>(fn: (state: S) => T | Promise<T>): Promise<T>;
  /** A copy of the state, read in a turn. */
  read(): Promise<S>;
  call<D extends AnyAgentDefinition>(agent: string, key: string, options?: CallOptions): CallClient<D>;
  send<D extends AnyAgentDefinition>(agent: string, key: string, options?: CallOptions): SendClient<D>;
}
