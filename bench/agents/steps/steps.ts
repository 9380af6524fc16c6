import { defineWorkflow } from 'colony';

const activities = {
  /** Does nothing but answer: what a step costs is then the orchestration's own. */
  async echo(_ctx: unknown, i: number): Promise<number> {
    return i;
  },
};

/**
 * Workflows for `npm run bench -- --only workflows`: `chain` runs n no-op
 * activities one after another, `fan` all at once, `fanThenWait` all at once
 * and then waits for the event `go` (to kill its pod while it is resident).
 */
export const steps = defineWorkflow({
  activities,
  async run(ctx, input: { n: number; mode: 'chain' | 'fan' | 'fanThenWait' }): Promise<{ sum: number }> {
    const { echo } = ctx.activities<typeof activities>();
    let sum = 0;
    if (input.mode === 'chain') {
      for (let i = 0; i < input.n; i += 1) sum += await echo(i);
      return { sum };
    }
    const results = await Promise.all(Array.from({ length: input.n }, (_, i) => echo(i)));
    for (const result of results) sum += result;
    if (input.mode === 'fanThenWait') {
      ctx.setStatus({ steps: input.n });
      await ctx.waitForEvent('go');
    }
    return { sum };
  },
});
