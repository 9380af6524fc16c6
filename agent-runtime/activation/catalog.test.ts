import { describe, expect, it } from 'vitest';
import { defineAgent } from '../sdk/agent.ts';
import { AgentError } from '../sdk/errors.ts';
import { createLogger } from '../observability/log.ts';
import type { CallMeta } from '../protocol/envelope.ts';
import { MemoryStateStore } from '../state/memory-state-store.ts';
import { Catalog } from './catalog.ts';
import { metaOf } from './caller.ts';
import type { Caller, OutgoingCall } from './caller.ts';
import { loadAgent } from './loaded-agent.ts';
import type { Reply } from './reply.ts';
import { unwrapReply } from './reply.ts';

const silent = createLogger({ sink: () => undefined });

let ids = 0;
function meta(key: string, method: string, extra: Partial<CallMeta> = {}): CallMeta {
  ids += 1;
  return { key, method, deadline: Date.now() + 5_000, callId: `call-${ids}`, chain: `chain-${ids}`, depth: 0, ...extra };
}

function setup(definition: Parameters<typeof loadAgent>[1], options: { durability?: 'turn' | 'async' | 'none'; turnGraceMs?: number } = {}) {
  const store = new MemoryStateStore();
  const caller: Caller & { catalog?: Catalog } = {
    async call(request: OutgoingCall) {
      const reply = await caller.catalog!.dispatch({ meta: metaOf(request), input: request.input }, 0);
      return unwrapReply(reply);
    },
  };
  const catalog = new Catalog({
    agent: loadAgent('test', definition),
    store,
    durability: options.durability ?? 'turn',
    caller,
    log: silent,
    turnGraceMs: options.turnGraceMs ?? 50,
  });
  caller.catalog = catalog;
  const call = (key: string, method: string, input?: unknown, extra: Partial<CallMeta> = {}): Promise<Reply> =>
    catalog.dispatch({ meta: meta(key, method, extra), input }, 0);
  return { store, catalog, call };
}

const body = (reply: Reply): unknown => (reply.body === undefined ? undefined : JSON.parse(reply.body));

const counter = defineAgent({
  state: () => ({ count: 0 }),
  methods: {
    async increment(ctx, input: { by?: number } = {}) {
      const before = ctx.state.count;
      await new Promise((resolve) => setImmediate(resolve));
      ctx.state.count = before + (input.by ?? 1);
      return { count: ctx.state.count };
    },
    get: (ctx) => ({ count: ctx.state.count }),
    fail(ctx) {
      ctx.state.count += 1000;
      throw new Error('boom');
    },
    refuse() {
      throw new AgentError('failed_precondition', 'not now');
    },
    async slow(ctx, input: { ms: number }) {
      ctx.state.count += 1;
      await new Promise((resolve) => setTimeout(resolve, input.ms));
      return 'done';
    },
  },
});

const bank = defineAgent({
  state: () => ({ balance: 100 }),
  methods: {
    async transfer(ctx, input: { to: string; amount: number }): Promise<number> {
      ctx.state.balance -= input.amount;
      await new Promise((resolve) => setTimeout(resolve, 10));
      await ctx.call<typeof bank>('test', input.to).deposit({ amount: input.amount });
      return ctx.state.balance;
    },
    deposit(ctx, input: { amount: number }) {
      ctx.state.balance += input.amount;
      return ctx.state.balance;
    },
    balance: (ctx) => ctx.state.balance,
  },
});

describe('Catalog', () => {
  it('runs the turns of one instance one at a time (no lost updates)', async () => {
    const { call, store } = setup(counter);
    const replies = await Promise.all(Array.from({ length: 50 }, () => call('a', 'increment', { by: 1 })));
    expect(replies.every((r) => r.status === 'ok')).toBe(true);
    expect(body(await call('a', 'get'))).toEqual({ count: 50 });
    expect(store.stateOf('a')).toEqual({ count: 50 });
  });

  it('activates a cold key once however many calls race for it', async () => {
    const { call, store } = setup(counter);
    await Promise.all(Array.from({ length: 20 }, () => call('cold', 'get')));
    expect(store.loads).toBe(1);
  });

  it('does not write state when a turn leaves it unchanged', async () => {
    const { call, store } = setup(counter);
    await call('a', 'get');
    await call('a', 'get');
    expect(store.saves).toBe(0);
  });

  it('rolls back the state of a turn that throws, and keeps serving', async () => {
    const { call } = setup(counter);
    await call('a', 'increment', { by: 2 });
    const failed = await call('a', 'fail');
    expect(failed.status).toBe('method_failed');
    expect(body(failed)).toMatchObject({ code: 'method_failed', message: expect.stringContaining('boom') });
    expect(body(await call('a', 'get'))).toEqual({ count: 2 });
  });

  it('passes an AgentError code through', async () => {
    const { call } = setup(counter);
    const reply = await call('a', 'refuse');
    expect(reply.status).toBe('failed_precondition');
    expect(body(reply)).toMatchObject({ message: 'not now' });
  });

  it('runs a call id once and returns the first reply to a retry', async () => {
    const { call } = setup(counter);
    const first = await call('a', 'increment', { by: 5 }, { callId: 'same' });
    const second = await call('a', 'increment', { by: 5 }, { callId: 'same' });
    expect(body(first)).toEqual({ count: 5 });
    expect(body(second)).toEqual({ count: 5 });
    expect(body(await call('a', 'get'))).toEqual({ count: 5 });
  });

  it('runs a call once when a copy arrives while it runs or waits (a resend after an owner change), and answers both', async () => {
    const { call } = setup(counter);
    // The copy has the same call id *and* chain: it must not pass for a reentrant call of its own chain.
    const copy = { callId: 'resent', chain: 'chain-resent' };
    const first = call('a', 'slow', { ms: 40 }, copy);
    await new Promise((resolve) => setTimeout(resolve, 15));
    expect((await Promise.all([first, call('a', 'slow', { ms: 40 }, copy)])).map(body)).toEqual(['done', 'done']);
    const queued = [call('a', 'slow', { ms: 30 }), call('a', 'increment', { by: 5 }, { callId: 'q' }), call('a', 'increment', { by: 5 }, { callId: 'q' })];
    expect((await Promise.all(queued)).map(body)).toEqual(['done', { count: 7 }, { count: 7 }]);
    expect(body(await call('a', 'get'))).toEqual({ count: 7 });
  });

  it('remembers call ids across activations (they are stored with the state)', async () => {
    const { call, catalog } = setup(counter);
    await call('a', 'increment', { by: 5 }, { callId: 'kept' });
    await catalog.deactivateWhere(() => true);
    expect(catalog.size).toBe(0);
    expect(body(await call('a', 'increment', { by: 5 }, { callId: 'kept' }))).toEqual({ count: 5 });
    expect(body(await call('a', 'get'))).toEqual({ count: 5 });
  });

  it('answers deadline_exceeded for a slow turn and discards its change', async () => {
    const { call } = setup(counter);
    const reply = await call('a', 'slow', { ms: 30 }, { deadline: Date.now() + 10 });
    expect(reply.status).toBe('deadline_exceeded');
    expect(body(await call('a', 'get'))).toEqual({ count: 0 });
  });

  it('abandons an activation whose turn hangs past the grace period, and serves the key again', async () => {
    const { call } = setup(counter, { turnGraceMs: 20 });
    const hung = call('a', 'slow', { ms: 10_000 }, { deadline: Date.now() + 10 });
    const queued = call('a', 'get');
    expect((await hung).status).toBe('deadline_exceeded');
    expect(body(await queued)).toEqual({ count: 0 });
  });

  it('lets A → B → A complete (reentrancy along one call chain)', async () => {
    const pingPong = defineAgent({
      state: () => ({ hits: 0 }),
      methods: {
        async ping(ctx, input: { peer: string; depth: number }): Promise<number> {
          ctx.state.hits += 1;
          if (input.depth === 0) return ctx.state.hits;
          return ctx.call<typeof pingPong>('test', input.peer).ping({ peer: ctx.key, depth: input.depth - 1 });
        },
      },
    });
    const { call } = setup(pingPong);
    const reply = await call('a', 'ping', { peer: 'b', depth: 3 }, { deadline: Date.now() + 1_000 });
    expect(reply.status).toBe('ok');
    expect(body(reply)).toBe(2);
  });

  it('refuses a call that would close a wait cycle between two chains, instead of deadlocking', async () => {
    const { call } = setup(bank);
    const deadline = Date.now() + 2_000;
    const ids = [{ callId: 'ab', deadline }, { callId: 'ba', deadline }];
    const [ab, ba] = await Promise.all([call('a', 'transfer', { to: 'b', amount: 10 }, ids[0]), call('b', 'transfer', { to: 'a', amount: 30 }, ids[1])]);
    const statuses = [ab.status, ba.status];
    expect(statuses).toContain('aborted');
    expect(statuses).not.toContain('deadline_exceeded');
    // A refused transfer, retried with its call id (so its deposit's derived id too), goes through.
    if (ab.status === 'aborted') expect((await call('a', 'transfer', { to: 'b', amount: 10 }, ids[0])).status).toBe('ok');
    if (ba.status === 'aborted') expect((await call('b', 'transfer', { to: 'a', amount: 30 }, ids[1])).status).toBe('ok');
    expect(body(await call('a', 'balance'))).toBe(120);
    const total = Number(body(await call('a', 'balance'))) + Number(body(await call('b', 'balance')));
    expect(total).toBe(200);
  });

  it('breaks a wait cycle of three instances with a probe, instead of waiting for the deadline', async () => {
    const bank = defineAgent({
      state: () => ({ balance: 100 }),
      methods: {
        async transfer(ctx, input: { to: string; amount: number }): Promise<number> {
          ctx.state.balance -= input.amount;
          await new Promise((resolve) => setTimeout(resolve, 10));
          await ctx.call<typeof bank>('test', input.to).deposit({ amount: input.amount });
          return ctx.state.balance;
        },
        deposit(ctx, input: { amount: number }) {
          ctx.state.balance += input.amount;
          return ctx.state.balance;
        },
        balance: (ctx) => ctx.state.balance,
      },
    });
    const { call } = setup(bank);
    const deadline = Date.now() + 3_000;
    const started = Date.now();
    const replies = await Promise.all([
      call('a', 'transfer', { to: 'b', amount: 1 }, { deadline }),
      call('b', 'transfer', { to: 'c', amount: 2 }, { deadline }),
      call('c', 'transfer', { to: 'a', amount: 4 }, { deadline }),
    ]);
    const statuses = replies.map((r) => r.status);
    expect(statuses).toContain('aborted');
    expect(statuses).toContain('ok');
    expect(statuses).not.toContain('deadline_exceeded');
    expect(Date.now() - started).toBeLessThan(1_000);
    const aborted = replies.find((r) => r.status === 'aborted');
    expect(body(aborted as Reply)).toMatchObject({ message: expect.stringContaining('wait cycle of 3 instances') });
    let total = 0;
    for (const key of ['a', 'b', 'c']) total += Number(body(await call(key, 'balance')));
    expect(total).toBe(300);
  });

  it('drops an activation whose write lost the compare-and-set, then reloads', async () => {
    const { call, store } = setup(counter);
    await call('a', 'increment', { by: 1 });
    store.overwrite('a', { count: 100 });
    const conflicted = await call('a', 'increment', { by: 1 });
    expect(conflicted.status).toBe('unavailable');
    expect(body(await call('a', 'increment', { by: 1 }))).toEqual({ count: 101 });
  });

  it('validates input against the method schema, naming the field', async () => {
    const withSchema = defineAgent({
      state: () => ({}),
      methods: { set: (_ctx, input: { n: number }) => input.n },
      schemas: { set: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } },
    });
    const { call } = setup(withSchema);
    const reply = await call('a', 'set', { n: 'x' });
    expect(reply.status).toBe('invalid_argument');
    expect(body(reply)).toMatchObject({ message: expect.stringContaining('field "n" must be integer') });
    expect((await call('a', 'set', {})).status).toBe('invalid_argument');
    expect(body(await call('a', 'set', { n: 3 }))).toBe(3);
  });

  it('answers not_found for an unknown method without activating', async () => {
    const { call, catalog } = setup(counter);
    const reply = await call('a', 'nope');
    expect(reply.status).toBe('not_found');
    expect(catalog.size).toBe(0);
  });

  it('runs onDeactivate when collecting idle instances, and persists its change', async () => {
    const hooks = defineAgent({
      state: () => ({ activations: 0, deactivations: 0 }),
      methods: { touch: (ctx) => ({ ...ctx.state }) },
      onActivate(ctx) {
        ctx.state.activations += 1;
      },
      onDeactivate(ctx) {
        ctx.state.deactivations += 1;
      },
    });
    const { call, catalog, store } = setup(hooks);
    expect(body(await call('a', 'touch'))).toEqual({ activations: 1, deactivations: 0 });
    await new Promise((resolve) => setImmediate(resolve)); // the mailbox loop ends just after the reply
    expect(await catalog.collectIdle(0)).toBe(1);
    expect(store.stateOf('a')).toEqual({ activations: 1, deactivations: 1 });
    expect(body(await call('a', 'touch'))).toEqual({ activations: 2, deactivations: 1 });
  });

  it('keeps state only in memory with durability none', async () => {
    const { call, store } = setup(counter, { durability: 'none' });
    await call('a', 'increment', { by: 3 });
    expect(store.saves).toBe(0);
    expect(body(await call('a', 'get'))).toEqual({ count: 3 });
  });

  it('persists in the background with durability async', async () => {
    const { call, store } = setup(counter, { durability: 'async' });
    await Promise.all(Array.from({ length: 10 }, () => call('a', 'increment', { by: 1 })));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(store.stateOf('a')).toEqual({ count: 10 });
    expect(store.saves).toBeLessThanOrEqual(10);
  });
});
