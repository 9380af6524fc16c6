import { defineAgent } from 'colony';
import { summarise } from './summary.ts';

/** Rows are integers of six digits: seven bytes each in the state's JSON, with the comma. */
const ROW_BYTES = 7;

/** A small seeded generator (mulberry32): the same seed fills a shard with the same rows. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * One shard of a data set, keyed `<dataset>:<shard>`: `fill` makes about
 * `bytes` of rows in its state (written to KV like any state), `aggregate`
 * sums them where they are and answers a few numbers (and how long summing
 * took), `rows` answers all of them for the caller to aggregate.
 */
export const shard = defineAgent({
  state: () => ({ rows: [] as number[] }),
  methods: {
    fill(ctx, input: { bytes: number; seed: number }) {
      const next = generator(input.seed);
      ctx.state.rows = Array.from({ length: Math.floor(input.bytes / ROW_BYTES) }, () => 100_000 + Math.floor(next() * 900_000));
      return { rows: ctx.state.rows.length, stateBytes: Buffer.byteLength(JSON.stringify(ctx.state)), pod: ctx.podId };
    },
    aggregate(ctx) {
      const started = performance.now();
      return { ...summarise(ctx.state.rows), ms: performance.now() - started };
    },
    rows(ctx) {
      return ctx.state.rows;
    },
  },
});
