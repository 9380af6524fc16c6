import { defineAgent } from 'colony';

export const events = defineAgent({
  state: () => ({ n: 0 }),
  methods: {
    count(ctx) {
      ctx.state.n += 1;
    },
    echo(ctx, event: { i: number; t: number }) {
      ctx.state.n += 1;
      ctx.publish('bench-out', { i: event.i, t: event.t });
    },
    get(ctx) {
      return ctx.state;
    },
  },
  subscriptions: [
    { topic: 'bench-in', method: 'count', key: 'k' },
    { topic: 'bench-ping', method: 'echo', key: 'k' },
  ],
});
