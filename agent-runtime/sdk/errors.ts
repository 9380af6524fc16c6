import { ColonyError } from '../protocol/errors.ts';
import type { ErrorCode } from '../protocol/errors.ts';

/** Codes an agent may throw to tell its caller what went wrong. */
export type AgentErrorCode = Extract<
  ErrorCode,
  'invalid_argument' | 'not_found' | 'failed_precondition' | 'permission_denied' | 'unauthenticated' | 'resource_exhausted' | 'unavailable'
>;

/**
 * Throw from a method to fail the call with a specific code (mapped to an HTTP
 * status by the gateway) instead of a 500. The turn's state change is
 * discarded either way.
 *
 *     throw new AgentError('failed_precondition', `insufficient funds: balance ${b}, asked ${n}`);
 */
export class AgentError extends ColonyError {
  constructor(code: AgentErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'AgentError';
  }
}

/**
 * How a workflow step failed (after its last attempt), or a wait that timed
 * out (`deadline_exceeded`): `code` says what happened, `step` which step.
 */
export class WorkflowError extends ColonyError {
  readonly step: number;

  constructor(code: ErrorCode, message: string, step: number) {
    super(code, message);
    this.name = 'WorkflowError';
    this.step = step;
  }
}
