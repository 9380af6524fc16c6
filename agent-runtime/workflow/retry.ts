import type { RetryPolicy } from '../sdk/workflow.ts';

/** A step's retry policy with every field resolved. */
export type ResolvedRetry = Required<RetryPolicy>;

/** Unless a workflow or a step says otherwise: three attempts, 1 s then 2 s apart. */
export const DEFAULT_RETRY: ResolvedRetry = Object.freeze({ attempts: 3, initialDelayMs: 1_000, backoff: 2, maxDelayMs: 60_000, nonRetryable: [] });

/**
 * Codes that are never worth another attempt whatever the policy: the step
 * itself is wrong (bad input, unknown target, refused as a precondition, a
 * result too large), or it must not run again (`crashed`).
 */
const FINAL_CODES = new Set([
  'invalid_argument',
  'not_found',
  'failed_precondition',
  'permission_denied',
  'unauthenticated',
  'payload_too_large',
  'result_too_large',
  'state_too_large',
  'idempotency_key_reused',
  'crashed',
  'nondeterministic',
]);

export function resolveRetry(step: RetryPolicy | undefined, workflow: RetryPolicy | undefined): ResolvedRetry {
  const merged = { ...DEFAULT_RETRY, ...workflow, ...step };
  return {
    attempts: Math.max(1, Math.floor(merged.attempts)),
    initialDelayMs: Math.max(0, merged.initialDelayMs),
    backoff: Math.max(1, merged.backoff),
    maxDelayMs: Math.max(0, merged.maxDelayMs),
    nonRetryable: [...merged.nonRetryable],
  };
}

/**
 * After attempt `attempt` (1, 2, …) failed with `code`: how long before the
 * next one, or undefined when there is none. A pure function.
 */
export function nextRetryDelay(policy: ResolvedRetry, attempt: number, code: string): number | undefined {
  if (attempt >= policy.attempts) return undefined;
  if (FINAL_CODES.has(code) || policy.nonRetryable.includes(code)) return undefined;
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.backoff ** (attempt - 1));
}
