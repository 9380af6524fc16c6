import { AgentError, defineWorkflow } from 'colony';
import type { ActivityContext } from 'colony';
import type { counter } from '../counter/counter.ts';

/** Input: `n` activities, all at once or one after another; each adds 1 to `counter/<tally>`. */
interface FanoutInput {
  n: number;
  tally: string;
  sequential?: boolean;
}

const activities = {
  /**
   * Adds 1 to `counter/<tally>` and returns `i`. It may run more than once for
   * one step (after a crash); its call to the counter has an id derived from
   * the step's, so the counter counts it once.
   */
  async add(ctx: ActivityContext, input: { i: number; tally: string }): Promise<number> {
    await ctx.call<typeof counter>('counter', input.tally).increment({ by: 1 });
    return input.i;
  },
};

/**
 * Fan-out/fan-in: runs `n` activities (spread over every pod of this Agent),
 * in parallel or one after another, then reads the counter they added to.
 * Output: `{"sum": 0+1+…+(n-1), "count": <counter/<tally>'s count>}`.
 */
export const fanout = defineWorkflow({
  activities,
  async run(ctx, input: FanoutInput): Promise<{ sum: number; count: number }> {
    if (!Number.isInteger(input?.n) || input.n < 0 || input.n > 100_000) throw new AgentError('invalid_argument', 'n must be an integer from 0 to 100000');
    if (typeof input.tally !== 'string' || input.tally.length === 0) throw new AgentError('invalid_argument', 'tally must name a counter instance');
    const { add } = ctx.activities<typeof activities>();
    let sum = 0;
    if (input.sequential) {
      for (let i = 0; i < input.n; i += 1) sum += await add({ i, tally: input.tally });
    } else {
      const results = await Promise.all(Array.from({ length: input.n }, (_, i) => add({ i, tally: input.tally })));
      for (const result of results) sum += result;
    }
    const { count } = await ctx.call<typeof counter>('counter', input.tally).get();
    return { sum, count };
  },
});
