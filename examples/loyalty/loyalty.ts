import { AgentError, defineAgent } from 'colony';

interface Order {
  orderId: string;
  customer: string;
  amount: number;
}

const LEVELS = [
  { at: 1000, level: 'gold' },
  { at: 100, level: 'silver' },
] as const;

function levelOf(points: number): string {
  return LEVELS.find((l) => points >= l.at)?.level ?? 'member';
}

/**
 * Loyalty points of one customer. `onOrder` handles the events of the topic
 * `orders` (subscriptions below): at least once, with the event's id as the
 * call id, so a redelivered order counts once; in order for each customer.
 * Reaching a level publishes a `rewards` event, with the turn: if the turn
 * fails, nothing is published.
 */
export const loyalty = defineAgent({
  state: () => ({ points: 0, orders: 0, level: 'member', last: [] as string[] }),
  methods: {
    onOrder(ctx, order: Order) {
      if (!Number.isInteger(order.amount) || order.amount < 0) {
        throw new AgentError('invalid_argument', `order ${order.orderId}: amount must be a non-negative integer, got ${JSON.stringify(order.amount)}`);
      }
      ctx.state.points += order.amount;
      ctx.state.orders += 1;
      ctx.state.last = [...ctx.state.last, order.orderId].slice(-5);
      const level = levelOf(ctx.state.points);
      if (level !== ctx.state.level) {
        ctx.state.level = level;
        ctx.publish('rewards', { customer: ctx.key, level, points: ctx.state.points });
      }
      return { points: ctx.state.points };
    },
    points(ctx) {
      return { points: ctx.state.points, orders: ctx.state.orders, level: ctx.state.level, last: ctx.state.last };
    },
  },
  subscriptions: [{ topic: 'orders', method: 'onOrder', key: 'customer' }],
});
