import { AgentError, defineWorkflow, WorkflowError } from 'colony';

/**
 * Waits for the event `decision` (`{"approved": true|false}`), at most
 * `timeoutMs` (a durable timer: it survives restarts). Output:
 * `{"approved": <bool>, "timedOut": <bool>}`; `false`/`true` on timeout.
 */
export const approval = defineWorkflow({
  async run(ctx, input: { amount: number; timeoutMs: number }): Promise<{ approved: boolean; timedOut: boolean }> {
    if (typeof input?.amount !== 'number' || !Number.isFinite(input.amount)) throw new AgentError('invalid_argument', 'amount must be a number: the amount to approve');
    if (!Number.isInteger(input.timeoutMs) || input.timeoutMs < 1) throw new AgentError('invalid_argument', 'timeoutMs must be a positive integer: how long to wait for the decision, in milliseconds');
    ctx.setStatus({ waitingFor: 'decision', amount: input.amount });
    try {
      const decision = await ctx.waitForEvent<{ approved?: unknown }>('decision', { timeoutMs: input.timeoutMs });
      return { approved: decision?.approved === true, timedOut: false };
    } catch (error) {
      if (error instanceof WorkflowError && error.code === 'deadline_exceeded') return { approved: false, timedOut: true };
      throw error;
    }
  },
});
