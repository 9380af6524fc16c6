import { defineAgent } from 'colony';
import type { callee } from './callee.ts';

/**
 * `calls {agent, key, n, write}` calls `agent/key` (an Agent made from
 * callee.ts) n times, one after another, in one turn, and returns each
 * call's time in microseconds and the loop's, timed inside the turn: what a
 * call costs its caller, with no gateway or HTTP around it.
 */
export const caller = defineAgent({
  state: () => ({}),
  methods: {
    async calls(ctx, input: { agent: string; key: string; n: number; write: boolean }) {
      const target = ctx.call<typeof callee>(input.agent, input.key);
      const micros: number[] = [];
      let calleePod = '';
      const started = performance.now();
      for (let i = 0; i < input.n; i += 1) {
        const t = performance.now();
        const reply = input.write ? await target.bump() : await target.read();
        micros.push(Math.round((performance.now() - t) * 10_000) / 10);
        calleePod = reply.pod;
      }
      return { elapsedMs: performance.now() - started, micros, pod: ctx.podId, calleePod };
    },
  },
});
