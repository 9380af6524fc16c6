import { describe, expect, it } from 'vitest';
import { defineAgent } from '../sdk/agent.ts';
import { apiRecordOf, loadAgent } from './loaded-agent.ts';

describe('an agent’s API record', () => {
  it('publishes each method’s input schema and declared output schema', () => {
    const counter = defineAgent({
      state: () => ({ count: 0 }),
      methods: {
        increment: (ctx, input: { by: number }) => ({ count: (ctx.state.count += input.by) }),
        reset: () => undefined,
      },
      schemas: { increment: { type: 'object', properties: { by: { type: 'integer' } } } },
      outputs: { increment: { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] } },
    });
    const record = apiRecordOf(loadAgent('counter', counter), 'default', 1);
    expect(record.methods).toEqual({
      increment: {
        input: { type: 'object', properties: { by: { type: 'integer' } } },
        output: { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] },
      },
      reset: {},
    });
  });

  it('refuses an output schema that is not a valid JSON schema, naming the method', () => {
    const broken = defineAgent({ state: () => null, methods: { get: () => 1 }, outputs: { get: { type: 'no-such-type' } } });
    expect(() => loadAgent('broken', broken)).toThrow(/the output schema of broken\.get is not a valid JSON schema/);
  });

  it('refuses outputs for a method it does not have', () => {
    const definition = { state: () => null, methods: { get: () => 1 }, outputs: { gte: { type: 'integer' } } };
    expect(() => loadAgent('typo', definition)).toThrow('agent typo: "outputs" names "gte", which is not a method');
  });
});
