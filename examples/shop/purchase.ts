import { AgentError, defineAgent } from 'colony';
import type { customer } from './customer.ts';

/**
 * A purchase (an order of a tenant's customer), keyed `<tenant>:<order id>` (`purchase/tenant7:1234`). Placing it
 * records it with its customer, `customer/<tenant>`: the same placement key,
 * so the same pod, and the call is in-process — same JSON semantics, same
 * turn rules, same idempotency as a call over NATS, without the network.
 */
export const purchase = defineAgent({
  state: () => ({ amount: 0, placed: false }),
  methods: {
    async place(ctx, input: { amount: number }) {
      if (ctx.state.placed) throw new AgentError('failed_precondition', `purchase ${ctx.key} is already placed`);
      const tenant = ctx.key.split(':')[0] as string;
      ctx.state.amount = input.amount;
      ctx.state.placed = true;
      const seen = await ctx.call<typeof customer>('customer', tenant).addOrder({ orderId: ctx.key, amount: input.amount });
      return { purchase: ctx.key, amount: input.amount, customer: { orders: seen.orders, spent: seen.spent }, pod: ctx.podId, customerPod: seen.pod };
    },
    get(ctx) {
      return { ...ctx.state, pod: ctx.podId };
    },
  },
  schemas: {
    place: {
      type: 'object',
      properties: { amount: { type: 'integer', minimum: 1, maximum: 1_000_000_000 } },
      required: ['amount'],
      additionalProperties: false,
    },
  },
});
