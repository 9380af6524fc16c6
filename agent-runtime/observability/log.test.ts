import { describe, expect, it } from 'vitest';
import { loadAgent } from '../activation/loaded-agent.ts';
import { Catalog } from '../activation/catalog.ts';
import { defineAgent } from '../sdk/agent.ts';
import { MemoryStateStore } from '../state/memory-state-store.ts';
import { createLogger, lazyChild, traceFields } from './log.ts';
import type { LogLine } from './log.ts';

describe('the logger (pino)', () => {
  it('writes a JSON line with the level as a word, an ISO time, the fields, the message, and an Error in full', () => {
    const lines: LogLine[] = [];
    const log = createLogger({ level: 'info', sink: (line) => lines.push(line), fields: { pod: 'p-1' } });
    log.debug('not written at info');
    log.child({ key: 'alice' }).warn('careful', { attempt: 2, cause: new Error('boom') });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', pod: 'p-1', key: 'alice', attempt: 2, msg: 'careful', cause: { name: 'Error', message: 'boom' } });
    expect(lines[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('takes trace and span ids from a traceparent, and nothing from a malformed one', () => {
    expect(traceFields('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toEqual({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' });
    expect(traceFields(undefined)).toEqual({});
    expect(traceFields('garbage')).toEqual({});
  });

  it('makes a lazy child only when it is written to', () => {
    let made = 0;
    const lines: LogLine[] = [];
    const parent = createLogger({ sink: (line) => lines.push(line) });
    const unused = lazyChild(parent, () => ((made += 1), { key: 'a' }));
    expect(unused).toBeDefined();
    expect(made).toBe(0);
    const used = lazyChild(parent, () => ((made += 1), { key: 'b' }));
    used.info('one');
    used.info('two');
    expect(made).toBe(1);
    expect(lines.map((l) => [l.key, l.msg])).toEqual([
      ['b', 'one'],
      ['b', 'two'],
    ]);
  });

  it("puts the turn's key, method, call id and trace in what agent code logs with ctx.log", async () => {
    const lines: LogLine[] = [];
    const catalog = new Catalog({
      agent: loadAgent('greeter', defineAgent({ state: () => ({}), methods: { hello: (ctx) => void ctx.log.info('hello from a turn') } })),
      store: new MemoryStateStore(),
      durability: 'turn',
      caller: { call: async () => undefined },
      log: createLogger({ sink: (line) => lines.push(line) }),
    });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await catalog.dispatch({ meta: { key: 'ann', method: 'hello', deadline: Date.now() + 5_000, callId: 'c-1', chain: 'c-1', depth: 0, traceparent }, input: undefined }, 0);
    expect(lines.find((l) => l.msg === 'hello from a turn')).toMatchObject({ key: 'ann', method: 'hello', callId: 'c-1', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' });
  });
});
