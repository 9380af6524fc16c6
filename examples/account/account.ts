import { AgentError, defineAgent } from 'colony';

const amount = { type: 'integer', minimum: 1, maximum: 1_000_000_000 };

/**
 * A bank account per key. Amounts are integers (cents). `transfer` withdraws
 * here and deposits into another account by calling it directly; if the
 * deposit fails, the turn throws and the withdrawal is rolled back.
 */
export const account = defineAgent({
  state: () => ({ balance: 0 }),
  methods: {
    deposit(ctx, input: { amount: number }) {
      ctx.state.balance += input.amount;
      return { balance: ctx.state.balance };
    },
    withdraw(ctx, input: { amount: number }) {
      if (ctx.state.balance < input.amount) {
        throw new AgentError(
          'failed_precondition',
          `insufficient funds in account ${ctx.key}: balance ${ctx.state.balance}, asked ${input.amount}`,
        );
      }
      ctx.state.balance -= input.amount;
      return { balance: ctx.state.balance };
    },
    balance(ctx) {
      return { balance: ctx.state.balance };
    },
    async transfer(ctx, input: { to: string; amount: number }): Promise<{ balance: number }> {
      if (input.to === ctx.key) throw new AgentError('invalid_argument', 'cannot transfer to the same account');
      if (ctx.state.balance < input.amount) {
        throw new AgentError(
          'failed_precondition',
          `insufficient funds in account ${ctx.key}: balance ${ctx.state.balance}, asked to transfer ${input.amount}`,
        );
      }
      ctx.state.balance -= input.amount;
      // The deposit's call id is derived from this call's id, so a retried transfer deposits once.
      await ctx.call<typeof account>('account', input.to).deposit({ amount: input.amount });
      return { balance: ctx.state.balance };
    },
  },
  schemas: {
    deposit: { type: 'object', properties: { amount }, required: ['amount'], additionalProperties: false },
    withdraw: { type: 'object', properties: { amount }, required: ['amount'], additionalProperties: false },
    transfer: {
      type: 'object',
      properties: { to: { type: 'string', minLength: 1, maxLength: 256 }, amount },
      required: ['to', 'amount'],
      additionalProperties: false,
    },
  },
});
