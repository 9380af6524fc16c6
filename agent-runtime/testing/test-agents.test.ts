import { describe, expect, it } from 'vitest';
import { defineAgent } from '../sdk/agent.ts';
import { AgentError } from '../sdk/errors.ts';
import { defineWorkflow } from '../sdk/workflow.ts';
import { ColonyError } from '../protocol/errors.ts';
import { testAgent, testAgents } from './test-agents.ts';

const START = Date.UTC(2030, 0, 1);

const wallet = defineAgent({
  state: () => ({ balance: 0 }),
  methods: {
    deposit(ctx, input: { amount: number }) {
      ctx.state.balance += input.amount;
      return { balance: ctx.state.balance };
    },
    async pay(ctx, input: { to: string; amount: number }): Promise<{ balance: number }> {
      if (ctx.state.balance < input.amount) throw new AgentError('failed_precondition', `balance ${ctx.state.balance} is below ${input.amount}`);
      ctx.state.balance -= input.amount;
      await ctx.call<typeof wallet>('wallet', input.to).deposit({ amount: input.amount });
      return { balance: ctx.state.balance };
    },
    async tip(ctx, input: { amount: number }) {
      ctx.state.balance -= input.amount;
      // Another agent of the harness: typed by its definition, dispatched in-process.
      const { count } = await ctx.call<typeof ledger>('ledger', 'tips').add({ by: input.amount });
      return { tips: count };
    },
    async callMissing(ctx) {
      ctx.state.balance = -1;
      await ctx.call<typeof wallet>('missing', 'x').deposit({ amount: 1 });
    },
  },
  schemas: {
    deposit: { type: 'object', properties: { amount: { type: 'integer', minimum: 1 } }, required: ['amount'] },
  },
});

const ledger = defineAgent({
  state: () => ({ count: 0, events: [] as string[] }),
  methods: {
    add(ctx, input: { by: number }) {
      ctx.state.count += input.by;
      ctx.publish('tips', { by: input.by });
      return { count: ctx.state.count };
    },
  },
});

let flakyFires = 0;

const invoice = defineAgent({
  state: () => ({ reminded: [] as number[], ticks: [] as number[], activations: 0, deactivations: 0, flaky: 0 }),
  methods: {
    issue(ctx) {
      ctx.reminders.set('overdue', { method: 'remind', afterMs: 60_000, everyMs: 86_400_000 });
    },
    remind(ctx) {
      ctx.state.reminded.push(ctx.reminder?.dueAt ?? -1);
    },
    poll(ctx) {
      ctx.timers.set('tick', { method: 'tick', afterMs: 100, everyMs: 100 });
    },
    tick(ctx) {
      ctx.state.ticks.push(ctx.state.ticks.length);
      if (ctx.state.ticks.length === 3) ctx.timers.cancel('tick');
    },
    flakyLater(ctx) {
      ctx.reminders.set('flaky', { method: 'flaky', afterMs: 1_000 });
    },
    flaky(ctx) {
      // The first fire fails (its turn rolls back, so the count lives outside the state).
      flakyFires += 1;
      if (flakyFires === 1) throw new Error('not yet');
      ctx.state.flaky += 1;
    },
    deadline: (ctx) => ctx.deadline,
    async slow(_ctx, input: { ms: number }) {
      await new Promise((resolve) => setTimeout(resolve, input.ms));
    },
    counts: (ctx) => ({ activations: ctx.state.activations, deactivations: ctx.state.deactivations }),
  },
  onActivate(ctx) {
    ctx.state.activations += 1;
  },
  onDeactivate(ctx) {
    ctx.state.deactivations += 1;
  },
});

/** The README's invoice (Reminders, timers and background tasks), as it is there. */
const readmeInvoice = defineAgent({
  state: () => ({ paid: false, reminded: 0, progress: 0 }),
  methods: {
    issue(ctx) {
      // Durable: fires `remind` in 7 days, then daily, even if no pod has this instance active.
      ctx.reminders.set('overdue', { method: 'remind', afterMs: 7 * 86_400_000, everyMs: 86_400_000 });
    },
    pay(ctx) {
      ctx.state.paid = true;
      ctx.reminders.cancel('overdue');
    },
    remind(ctx) {
      ctx.state.reminded += 1; // ctx.reminder = { name, dueAt }
    },
    poll(ctx) {
      ctx.timers.set('refresh', { method: 'refresh', afterMs: 1_000, everyMs: 5_000 }); // in memory only
    },
    refresh() {},
    archive(ctx) {
      ctx.tasks.start('export', { batch: 100 }); // runs outside turns, no time limit
    },
  },
  tasks: {
    async export(ctx, input: { batch: number }) {
      while (!ctx.signal.aborted) {
        const done = await ctx.update((state) => (state.progress += input.batch) >= 10_000); // a turn: checkpointed
        if (done) return; // returning ends the task
      } // aborted on drain: resumes on the next owner
    },
  },
});

describe('testAgent', () => {
  it('calls an instance and shows the state it committed', async () => {
    const t = testAgent(wallet, { name: 'wallet' });
    expect(t.state('alice')).toBeUndefined();
    expect(await t.instance('alice').deposit({ amount: 5 })).toEqual({ balance: 5 });
    expect(await t.instance('alice').deposit({ amount: 2 })).toEqual({ balance: 7 });
    expect(t.state('alice')).toEqual({ balance: 7 });
    expect(t.state('bob')).toBeUndefined();
  });

  it('rejects with the ColonyError a caller over HTTP gets, and the failed turn changes nothing', async () => {
    const t = testAgent(wallet, { name: 'wallet' });
    await t.instance('alice').deposit({ amount: 5 });
    const refused = t.instance('alice').pay({ to: 'bob', amount: 50 });
    await expect(refused).rejects.toBeInstanceOf(ColonyError);
    await expect(refused).rejects.toMatchObject({ code: 'failed_precondition', status: 409, message: 'balance 5 is below 50' });
    await expect(t.instance('alice').deposit({ amount: 0 })).rejects.toMatchObject({ code: 'invalid_argument' });
    // @ts-expect-error -- no such method: a test of a wrong name compiles only with this comment.
    await expect(t.instance('alice').withdraw({ amount: 1 })).rejects.toMatchObject({ code: 'not_found' });
    await expect(t.instance('alice').callMissing()).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('no agent named "missing"') });
    expect(t.state('alice')).toEqual({ balance: 5 });
  });

  it('runs a call once per idempotency key (callId), answering repeats with the first reply', async () => {
    const t = testAgent(wallet, { name: 'wallet' });
    expect(await t.instance('alice', { callId: 'deposit-1' }).deposit({ amount: 5 })).toEqual({ balance: 5 });
    expect(await t.instance('alice', { callId: 'deposit-1' }).deposit({ amount: 5 })).toEqual({ balance: 5 });
    await expect(t.instance('alice', { callId: 'deposit-1' }).deposit({ amount: 6 })).rejects.toMatchObject({ code: 'idempotency_key_reused' });
    expect(t.state('alice')).toEqual({ balance: 5 });
  });

  it('ends a turn at its deadline (timeoutMs) with deadline_exceeded', async () => {
    const t = testAgent(invoice, { name: 'invoice' });
    await expect(t.instance('i-1', { timeoutMs: 50 }).slow({ ms: 500 })).rejects.toMatchObject({ code: 'deadline_exceeded' });
  });
});

describe('testAgents', () => {
  it('dispatches calls between instances of one agent and between agents in-process', async () => {
    const t = testAgents({ wallet, ledger });
    await t.instance('wallet', 'alice').deposit({ amount: 10 });
    expect(await t.instance('wallet', 'alice').pay({ to: 'bob', amount: 4 })).toEqual({ balance: 6 });
    expect(t.state('wallet', 'bob')).toEqual({ balance: 4 });
    expect(await t.agent('wallet').instance('bob').tip({ amount: 1 })).toEqual({ tips: 1 });
    expect(t.state('ledger', 'tips')).toMatchObject({ count: 1 });
    expect(t.published('tips')).toEqual([{ topic: 'tips', id: expect.any(String), event: { by: 1 } }]);
  });

  it('a one-way send resolves once accepted; idle() waits for its turn', async () => {
    const t = testAgents({ wallet, ledger });
    await t.send('ledger', 'tips').add({ by: 3 });
    await t.idle();
    expect(t.state('ledger', 'tips')).toMatchObject({ count: 3 });
  });

  it('refuses a workflow, and names the agents it has for an unknown one', () => {
    const workflow = defineWorkflow({ run: async () => 1 });
    expect(() => testAgents({ wallet, workflow } as never)).toThrow('workflow is a workflow');
    expect(() => testAgents({ wallet }).state('ledger' as 'wallet', 'x')).toThrow('there is no agent named "ledger" in this test; its agents are: wallet');
  });
});

describe('the test clock', () => {
  it('fires a reminder when clock.advance reaches its due time, not before', async () => {
    const t = testAgent(invoice, { name: 'invoice', startTime: START });
    await t.instance('i-1').issue();
    expect(t.reminders('i-1')).toEqual([{ name: 'overdue', method: 'remind', dueAt: START + 60_000, everyMs: 86_400_000 }]);
    await t.clock.advance(59_999);
    expect(t.state('i-1')?.reminded).toEqual([]);
    await t.clock.advance(1);
    expect(t.state('i-1')?.reminded).toEqual([START + 60_000]);
    // Periodic: once a day from then on, each fire at its own time.
    await t.clock.advance(3 * 86_400_000);
    expect(t.state('i-1')?.reminded).toEqual([0, 1, 2, 3].map((day) => START + 60_000 + day * 86_400_000));
    expect(t.clock.now()).toBe(START + 60_000 + 3 * 86_400_000);
    expect(t.reminders('i-1')[0]?.dueAt).toBe(START + 60_000 + 4 * 86_400_000);
  });

  it("runs the README's invoice: reminded after 7 days, then daily, until paid", async () => {
    const t = testAgent(readmeInvoice, { name: 'invoice' });
    await t.instance('inv-1').issue();
    await t.clock.advance(7 * 86_400_000);
    expect(t.state('inv-1')).toEqual({ paid: false, reminded: 1, progress: 0 });
    await t.clock.advance(86_400_000);
    expect(t.state('inv-1')?.reminded).toBe(2);
    await t.instance('inv-1').pay();
    await t.clock.advance(30 * 86_400_000);
    expect(t.state('inv-1')).toEqual({ paid: true, reminded: 2, progress: 0 });
    expect(t.reminders('inv-1')).toEqual([]);
  });

  it("runs the README invoice's background task, whose updates are turns", async () => {
    const t = testAgent(readmeInvoice, { name: 'invoice' });
    await t.instance('inv-2').archive();
    await t.idle();
    expect(t.state('inv-2')?.progress).toBe(10_000);
  });

  it('fires a reminder of an instance that was deactivated (it is activated again)', async () => {
    const t = testAgent(invoice, { name: 'invoice', startTime: START });
    await t.instance('i-1').issue();
    await t.deactivate('i-1');
    expect(t.state('i-1')).toMatchObject({ activations: 1, deactivations: 1 });
    await t.clock.advance(60_000);
    expect(t.state('i-1')).toMatchObject({ reminded: [START + 60_000], activations: 2 });
  });

  it('retries a reminder whose fire failed after the runtime backoff (0.5 s)', async () => {
    flakyFires = 0;
    const t = testAgent(invoice, { name: 'invoice', startTime: START });
    await t.instance('i-1').flakyLater();
    await t.clock.advance(1_000);
    expect(t.state('i-1')?.flaky).toBe(0);
    expect(t.logs.some((line) => line.msg.includes('reminder "flaky"') && line.msg.includes('attempt 1'))).toBe(true);
    await t.clock.advance(499);
    expect(t.state('i-1')?.flaky).toBe(0);
    await t.clock.advance(1);
    expect(t.state('i-1')?.flaky).toBe(1);
    expect(t.reminders('i-1')).toEqual([]);
  });

  it('fires ctx.timers as it advances, periodic ones each period, until cancelled', async () => {
    const t = testAgent(invoice, { name: 'invoice', startTime: START });
    await t.instance('i-1').poll();
    await t.clock.advance(99);
    expect(t.state('i-1')?.ticks).toEqual([]);
    await t.clock.advance(1_000);
    expect(t.state('i-1')?.ticks).toHaveLength(3);
    expect(t.clock.pending).toBe(0);
  });

  it('is the time turns see: ctx.deadline is the clock plus the call timeout', async () => {
    const t = testAgent(invoice, { name: 'invoice', startTime: START });
    expect(await t.instance('i-1', { timeoutMs: 5_000 }).deadline()).toBe(START + 5_000);
    await t.clock.advance(1_000);
    expect(await t.instance('i-1').deadline()).toBe(START + 1_000 + 30_000);
  });

  it('refuses to go backwards, or to advance twice at once', async () => {
    const t = testAgent(invoice, { name: 'invoice' });
    await expect(t.clock.advance(-1)).rejects.toThrow(RangeError);
    const first = t.clock.advance(10);
    await expect(t.clock.advance(10)).rejects.toThrow('already running');
    await first;
  });

  it('runs onDeactivate when an instance is deactivated, and onActivate when it is called again', async () => {
    const t = testAgent(invoice, { name: 'invoice' });
    expect(await t.instance('i-1').counts()).toEqual({ activations: 1, deactivations: 0 });
    await t.deactivate();
    expect(await t.instance('i-1').counts()).toEqual({ activations: 2, deactivations: 1 });
    await t.close();
    expect(t.state('i-1')).toMatchObject({ activations: 2, deactivations: 2 });
  });
});
