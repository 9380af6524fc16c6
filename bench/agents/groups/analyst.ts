import { defineAgent } from 'colony';
import type { shard } from './shard.ts';
import { EMPTY, merge, summarise } from './summary.ts';
import type { Summary } from './summary.ts';

/**
 * `aggregate {agent, shards, mode}` over the data set named by this
 * instance's key, whose shards are `agent/<key>:0` … `<key>:<shards - 1>`,
 * all at once: with mode `code-to-data` each shard aggregates its rows where
 * they are and answers a summary; with `data-shipping` each answers its rows
 * and the analyst aggregates them. Timed inside the turn; the JSON bytes the
 * shards answered are counted after the clock stops.
 */
export const analyst = defineAgent({
  state: () => ({}),
  methods: {
    async aggregate(ctx, input: { agent: string; shards: number; mode: 'code-to-data' | 'data-shipping' }) {
      const started = performance.now();
      const replies = await Promise.all(
        Array.from({ length: input.shards }, (_, i) => {
          const target = ctx.call<typeof shard>(input.agent, `${ctx.key}:${i}`);
          return input.mode === 'code-to-data' ? target.aggregate() : target.rows();
        }),
      );
      // The time spent summing, wherever it ran: the rest of elapsedMs is calls, turns and JSON.
      let summingMs = 0;
      const summary = replies.reduce<Summary>((total, reply) => {
        if (!Array.isArray(reply)) {
          summingMs += reply.ms;
          return merge(total, reply);
        }
        const t = performance.now();
        const part = summarise(reply);
        summingMs += performance.now() - t;
        return merge(total, part);
      }, EMPTY);
      const elapsedMs = performance.now() - started;
      const replyBytes = replies.reduce((bytes, reply) => bytes + Buffer.byteLength(JSON.stringify(reply)), 0);
      return { elapsedMs, summingMs, replyBytes, summary, pod: ctx.podId };
    },
  },
});
