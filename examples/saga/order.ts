import { AgentError, defineWorkflow, WorkflowError } from 'colony';
import type { ActivityContext } from 'colony';
import type { counter } from '../counter/counter.ts';

interface Order {
  item: string;
  qty: number;
  amount: number;
  /** For the demonstration: the step that fails (`charge` or `ship`), after its retries. */
  failAt?: 'charge' | 'ship';
}

/** Refuses an order the steps cannot use, naming the field (the workflow fails with invalid_argument). */
function checkOrder(order: Order): void {
  if (typeof order?.item !== 'string' || order.item.length === 0) throw new AgentError('invalid_argument', 'item must be a non-empty string: what is ordered');
  // The ledger is the counter example, which adds integers up to 1,000,000 at a time.
  if (!Number.isInteger(order.qty) || order.qty < 1 || order.qty > 1_000_000) throw new AgentError('invalid_argument', 'qty must be an integer from 1 to 1000000');
  if (!Number.isInteger(order.amount) || order.amount < 0 || order.amount > 1_000_000) throw new AgentError('invalid_argument', 'amount must be an integer from 0 to 1000000: what the card is charged');
  if (order.failAt !== undefined && order.failAt !== 'charge' && order.failAt !== 'ship') throw new AgentError('invalid_argument', 'failAt, when given, must be "charge" or "ship"');
}

/** Adds `by` to `counter/<key>`: the ledger of the demonstration (stock reserved, money charged). */
const add = (ctx: ActivityContext, key: string, by: number): Promise<{ count: number }> => ctx.call<typeof counter>('counter', key).increment({ by });

/**
 * Activities run at least once: each adds to a counter with a call id derived
 * from its step's, so running one twice adds once.
 */
const activities = {
  async reserve(ctx: ActivityContext, order: Order): Promise<void> {
    await add(ctx, `reserved-${order.item}`, order.qty);
  },
  async release(ctx: ActivityContext, order: Order): Promise<void> {
    await add(ctx, `reserved-${order.item}`, -order.qty);
  },
  async charge(ctx: ActivityContext, order: Order): Promise<void> {
    if (order.failAt === 'charge') throw new AgentError('failed_precondition', `card declined for ${order.amount}`);
    await add(ctx, 'charged', order.amount);
  },
  async refund(ctx: ActivityContext, order: Order): Promise<void> {
    await add(ctx, 'charged', -order.amount);
  },
  async ship(ctx: ActivityContext, order: Order): Promise<{ tracking: string }> {
    // A passing failure is retried by the policy below; this one is final.
    if (order.failAt === 'ship') throw new AgentError('failed_precondition', `no courier for ${order.item}`);
    return { tracking: `${order.item}-${ctx.callId.slice(-6)}` };
  },
};

/**
 * An order as a saga: reserve the stock, charge the card, ship. When a step
 * fails for good (after its retries), what was done is undone in reverse
 * order — each undo an activity too, retried until it succeeds — and the
 * workflow ends with `status: "compensated"`.
 */
export const order = defineWorkflow({
  activities,
  // Every step: up to 5 attempts, 0.2 s, 0.4 s … apart; failed_precondition is final.
  retry: { attempts: 5, initialDelayMs: 200, backoff: 2, nonRetryable: ['failed_precondition'] },
  async run(ctx, input: Order) {
    checkOrder(input);
    const steps = ctx.activities<typeof activities>();
    const undo = ctx.activities<typeof activities>({ retry: { attempts: 20, initialDelayMs: 500, maxDelayMs: 30_000 } });
    const done: (() => Promise<void>)[] = [];
    try {
      await steps.reserve(input);
      done.push(() => undo.release(input));
      await steps.charge(input);
      done.push(() => undo.refund(input));
      const { tracking } = await steps.ship(input);
      return { status: 'shipped', tracking };
    } catch (error) {
      if (!(error instanceof WorkflowError)) throw error;
      ctx.setStatus({ compensating: error.message });
      for (const compensate of done.reverse()) await compensate();
      return { status: 'compensated', failedAt: error.step, reason: error.message };
    }
  },
});
