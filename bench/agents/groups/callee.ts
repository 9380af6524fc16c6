import { defineAgent } from 'colony';

/** The other end of the bench's calls: `read` changes nothing (no write), `bump` writes its state. */
export const callee = defineAgent({
  state: () => ({ n: 0 }),
  methods: {
    read(ctx) {
      return { n: ctx.state.n, pod: ctx.podId };
    },
    bump(ctx) {
      ctx.state.n += 1;
      return { n: ctx.state.n, pod: ctx.podId };
    },
  },
});
