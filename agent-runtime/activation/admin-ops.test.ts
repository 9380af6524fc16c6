import { describe, expect, it } from 'vitest';
import { createLogger } from '../observability/log.ts';
import type { AdminVerb } from '../protocol/admin.ts';
import type { CallMeta } from '../protocol/envelope.ts';
import { defineAgent } from '../sdk/agent.ts';
import { defineWorkflow } from '../sdk/workflow.ts';
import { MemoryStateStore } from '../state/memory-state-store.ts';
import { Catalog, MemoryWakeHooks } from './catalog.ts';
import { loadAgent } from './loaded-agent.ts';
import type { Reply } from './reply.ts';

const silent = createLogger({ sink: () => undefined });
const never = { call: () => Promise.reject(new Error('no calls in these tests')) };

const alarm = defineAgent({
  state: () => ({ count: 0, rings: 0 }),
  methods: {
    async increment(ctx, input: { by?: number; ms?: number } = {}) {
      ctx.state.count += input.by ?? 1;
      if (input.ms) await new Promise((resolve) => setTimeout(resolve, input.ms));
      return { count: ctx.state.count };
    },
    get: (ctx) => ({ count: ctx.state.count }),
    remind(ctx, input: { name: string; afterMs: number }) {
      ctx.reminders.set(input.name, { method: 'ring', afterMs: input.afterMs, input: { name: input.name } });
    },
    ring(ctx) {
      ctx.state.rings += 1;
    },
    startWork(ctx) {
      ctx.tasks.start('work');
    },
  },
  tasks: {
    async work(ctx) {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
    },
  },
});

let ids = 0;
function meta(key: string, method: string, extra: Partial<CallMeta> = {}): CallMeta {
  ids += 1;
  return { key, method, deadline: Date.now() + 5_000, callId: `call-${ids}`, chain: `chain-${ids}`, depth: 0, ...extra };
}

function setup(options: { durability?: 'turn' | 'none'; recordBytes?: number } = {}) {
  const store = new MemoryStateStore();
  const wake = new MemoryWakeHooks();
  const catalog = new Catalog({
    agent: loadAgent('alarm', alarm),
    store,
    wake,
    durability: options.durability ?? 'turn',
    caller: never,
    log: silent,
    ...(options.recordBytes ? { limits: { replyBytes: 10_000, recordBytes: options.recordBytes } } : {}),
  });
  const call = (key: string, method: string, input?: unknown, extra: Partial<CallMeta> = {}): Promise<Reply> => catalog.dispatch({ meta: meta(key, method, extra), input }, 0);
  const admin = (key: string, verb: AdminVerb | 'explode', input?: unknown, extra: Partial<CallMeta> = {}): Promise<Reply> => call(key, verb, input, { op: 'admin', ...extra });
  return { store, wake, catalog, call, admin };
}

const body = (reply: Reply): unknown => (reply.body === undefined ? undefined : JSON.parse(reply.body));

describe('admin operations on an instance', () => {
  it('reads the stored record without activating the instance, and answers not_found when there is none', async () => {
    const { catalog, call, admin } = setup();
    expect(await admin('a', 'read')).toMatchObject({ status: 'not_found' });
    expect(catalog.size).toBe(0);
    await call('a', 'increment', { by: 3 });
    await catalog.deactivateWhere(() => true);
    expect(body(await admin('a', 'read'))).toMatchObject({ agent: 'alarm', key: 'a', active: false, state: { count: 3, rings: 0 }, reminders: [] });
    expect(catalog.size).toBe(0);
  });

  it('reads the calls whose replies the instance keeps, newest first, with their methods, from memory and from the store', async () => {
    const { catalog, call, admin } = setup();
    await call('a', 'increment', { by: 1 }, { callId: 'first' });
    await call('a', 'increment', { by: 2 }, { callId: 'second' });
    await admin('a', 'put', { count: 5, rings: 0 }, { callId: 'third' });
    await call('a', 'get', undefined, { callId: 'read-only' });
    const active = body(await admin('a', 'read')) as { active: boolean; calls: { callId: string; method?: string; status: string; at: number }[] };
    expect(active.active).toBe(true);
    // A call that changed nothing (get) is not kept.
    expect(active.calls.map(({ callId, method, status }) => ({ callId, method, status }))).toEqual([
      { callId: 'third', method: 'admin:put', status: 'ok' },
      { callId: 'second', method: 'increment', status: 'ok' },
      { callId: 'first', method: 'increment', status: 'ok' },
    ]);
    expect(active.calls[0]?.at).toBeGreaterThan(0);
    await catalog.deactivateWhere(() => true);
    expect(body(await admin('a', 'read'))).toMatchObject({ active: false, calls: active.calls });
  });

  it('reads an active instance from memory as last committed, not what a running turn has changed', async () => {
    const { call, admin } = setup({ durability: 'none' });
    await call('a', 'increment', { by: 2 });
    const slow = call('a', 'increment', { by: 40, ms: 50 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(body(await admin('a', 'read'))).toMatchObject({ active: true, state: { count: 2, rings: 0 } });
    await slow;
    expect(body(await admin('a', 'read'))).toMatchObject({ active: true, state: { count: 42, rings: 0 } });
  });

  it('replaces the state as a turn: written, seen by the next call, applied once per call id', async () => {
    const { store, call, admin } = setup();
    await call('a', 'increment', { by: 1 });
    const put = await admin('a', 'put', { count: 10, rings: 0 }, { callId: 'put-1' });
    expect(body(put)).toEqual({ agent: 'alarm', key: 'a', replaced: true });
    expect(store.stateOf('a')).toEqual({ count: 10, rings: 0 });
    expect(body(await call('a', 'increment', { by: 1 }))).toEqual({ count: 11 });
    // The same key again is answered as the first time, and changes nothing.
    expect(body(await admin('a', 'put', { count: 10, rings: 0 }, { callId: 'put-1' }))).toEqual({ agent: 'alarm', key: 'a', replaced: true });
    expect(body(await call('a', 'get'))).toEqual({ count: 11 });
    expect(await admin('a', 'put', { count: 99, rings: 0 }, { callId: 'put-1' })).toMatchObject({ status: 'idempotency_key_reused' });
    // A method call with the id of an admin write is another request too.
    expect(await call('a', 'increment', { count: 10, rings: 0 }, { callId: 'put-1' })).toMatchObject({ status: 'idempotency_key_reused' });
  });

  it('refuses a put without a state, and one whose record would not fit, changing nothing', async () => {
    const { store, call, admin } = setup({ recordBytes: 300 });
    await call('a', 'increment', { by: 1 });
    expect(await admin('a', 'put')).toMatchObject({ status: 'invalid_argument' });
    expect(await admin('a', 'put', { big: 'x'.repeat(400) })).toMatchObject({ status: 'state_too_large' });
    expect(store.stateOf('a')).toEqual({ count: 1, rings: 0 });
    expect(body(await call('a', 'get'))).toEqual({ count: 1 });
  });

  it('writes compare-and-set: a pod that lost the instance cannot overwrite what another wrote', async () => {
    const { store, call, admin } = setup();
    await call('a', 'increment', { by: 1 });
    store.overwrite('a', { count: 500, rings: 0 });
    expect(await admin('a', 'put', { count: 7, rings: 0 })).toMatchObject({ status: 'unavailable' });
    expect(store.stateOf('a')).toEqual({ count: 500, rings: 0 });
    // The activation was dropped; the next one loads what the other wrote.
    expect(body(await call('a', 'get'))).toEqual({ count: 500 });
  });

  it('resets to the initial state and cancels the reminders, keeping the wake-up index right', async () => {
    const { store, wake, call, admin } = setup();
    await call('a', 'increment', { by: 4 });
    await call('a', 'remind', { name: 'later', afterMs: 60_000 });
    expect(wake.entries.get('a')?.reminderAt).toBeGreaterThan(Date.now());
    expect(body(await admin('a', 'reset'))).toEqual({ agent: 'alarm', key: 'a', reset: true });
    expect(store.stateOf('a')).toEqual({ count: 0, rings: 0 });
    expect(wake.entries.has('a')).toBe(false);
    expect(body(await admin('a', 'read'))).toMatchObject({ state: { count: 0, rings: 0 }, reminders: [] });
  });

  it('refuses to reset an instance whose background tasks run', async () => {
    const { catalog, call, admin } = setup();
    await call('a', 'startWork');
    expect(await admin('a', 'reset')).toMatchObject({ status: 'failed_precondition', body: expect.stringContaining('work') });
    await catalog.deactivateWhere(() => true);
  });

  it('lists and cancels a reminder, updating the wake-up index; an unknown one is not_found', async () => {
    const { wake, call, admin } = setup();
    await call('a', 'remind', { name: 'soon', afterMs: 30_000 });
    await call('a', 'remind', { name: 'later', afterMs: 60_000 });
    const read = body(await admin('a', 'read')) as { reminders: { name: string; method: string; dueAt: number; input: unknown }[] };
    expect(read.reminders.map((r) => [r.name, r.method, r.input])).toEqual([
      ['later', 'ring', { name: 'later' }],
      ['soon', 'ring', { name: 'soon' }],
    ]);
    const soonAt = wake.entries.get('a')?.reminderAt as number;
    expect(body(await admin('a', 'cancel-reminder', { name: 'soon' }))).toEqual({ agent: 'alarm', key: 'a', reminder: 'soon', cancelled: true });
    expect(wake.entries.get('a')?.reminderAt).toBeGreaterThan(soonAt);
    const missing = await admin('a', 'cancel-reminder', { name: 'soon' });
    expect(missing.status).toBe('not_found');
    expect(body(missing)).toMatchObject({ message: expect.stringContaining('its reminders are: later') });
    expect(await admin('a', 'cancel-reminder', {})).toMatchObject({ status: 'invalid_argument' });
  });

  it('refuses an unknown operation, and every operation on a workflow', async () => {
    const { admin } = setup();
    expect(await admin('a', 'explode')).toMatchObject({ status: 'not_found' });
    const workflow = new Catalog({ agent: loadAgent('order', defineWorkflow({ run: async () => 1 })), store: new MemoryStateStore(), durability: 'turn', caller: never, log: silent });
    const reply = await workflow.dispatch({ meta: meta('o-1', 'read', { op: 'admin' }), input: undefined }, 0);
    expect(reply).toMatchObject({ status: 'failed_precondition', body: expect.stringContaining('/v1/workflows/order') });
  });
});
