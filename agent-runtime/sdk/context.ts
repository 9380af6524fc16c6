import type { AnyAgentDefinition, CallClient, SendClient } from './types.ts';

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
  /** Aborted when the turn's deadline passes or the pod drains. */
  readonly signal: AbortSignal;
  /** Absolute deadline of this turn, ms since the Unix epoch. */
  readonly deadline: number;
  /** Id of the call this turn handles (empty in lifecycle hooks). */
  readonly callId: string;
  /** The pod this instance runs on (for logs and diagnostics). */
  readonly podId: string;
  /** Unique id of this activation: it changes each time the instance is activated again. */
  readonly activationId: string;
  /** A typed client that calls methods of another instance and waits for the result. */
  call<D extends AnyAgentDefinition>(agent: string, key: string, options?: CallOptions): CallClient<D>;
  /** A typed client that sends one-way messages to another instance; resolves once sent. */
  send<D extends AnyAgentDefinition>(agent: string, key: string, options?: CallOptions): SendClient<D>;
}
