import { defineAgent } from 'colony';

const money = { type: 'integer', minimum: 1, maximum: 1_000_000_000 };

/**
 * A customer of a shop tenant, keyed by the tenant (`customer/tenant7`). It
 * shares placement group `shop` with `purchase`, whose keys are `<tenant>:<id>`
 * and are placed by the part before ":" — so every purchase of tenant7 lives on
 * the pod of customer/tenant7, and the purchase's call never leaves it.
 */
export const customer = defineAgent({
  state: () => ({ orders: 0, spent: 0, recent: [] as string[] }),
  methods: {
    addOrder(ctx, input: { orderId: string; amount: number }) {
      ctx.state.orders += 1;
      ctx.state.spent += input.amount;
      ctx.state.recent = [input.orderId, ...ctx.state.recent].slice(0, 5);
      return { orders: ctx.state.orders, spent: ctx.state.spent, pod: ctx.podId };
    },
    get(ctx) {
      return { ...ctx.state, pod: ctx.podId };
    },
  },
  schemas: {
    addOrder: {
      type: 'object',
      properties: { orderId: { type: 'string', minLength: 1, maxLength: 256 }, amount: money },
      required: ['orderId', 'amount'],
      additionalProperties: false,
    },
  },
});
