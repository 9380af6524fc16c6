import { defineAgent } from 'colony';

export const sleepy = defineAgent({
  state: () => ({}),
  methods: {
    hello: (ctx) => ({ pod: ctx.podId }),
  },
});
