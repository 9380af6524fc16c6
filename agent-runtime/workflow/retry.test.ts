import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, nextRetryDelay, resolveRetry } from './retry.ts';

describe('retries of a workflow step', () => {
  it('by default: three attempts, 1 s then 2 s apart', () => {
    expect([1, 2, 3].map((attempt) => nextRetryDelay(DEFAULT_RETRY, attempt, 'method_failed'))).toEqual([1_000, 2_000, undefined]);
  });

  it('takes the step policy over the workflow one over the default, and caps the delay', () => {
    const policy = resolveRetry({ attempts: 6, maxDelayMs: 3_000 }, { initialDelayMs: 500, backoff: 3 });
    expect([1, 2, 3, 4, 5, 6].map((attempt) => nextRetryDelay(policy, attempt, 'unavailable'))).toEqual([500, 1_500, 3_000, 3_000, 3_000, undefined]);
  });

  it('never retries a final code, nor one the policy names', () => {
    const policy = resolveRetry({ attempts: 5, nonRetryable: ['deadline_exceeded'] }, undefined);
    expect(nextRetryDelay(policy, 1, 'invalid_argument')).toBeUndefined();
    expect(nextRetryDelay(policy, 1, 'crashed')).toBeUndefined();
    expect(nextRetryDelay(policy, 1, 'deadline_exceeded')).toBeUndefined();
    expect(nextRetryDelay(policy, 1, 'unavailable')).toBe(1_000);
  });
});
