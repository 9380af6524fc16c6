import { describe, expect, it } from 'vitest';
import { activityChain, attemptOfChain } from './activity-worker.ts';

describe("an activity call's chain", () => {
  it("carries the attempt, which the activity's ctx.attempt reads back (1 when it carries none)", () => {
    expect(attemptOfChain(activityChain('wf:order/o-1:1:3', 4))).toBe(4);
    expect(attemptOfChain('wf:order/o-1:1:3')).toBe(1);
  });
});
