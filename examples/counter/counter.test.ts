import { describe, expect, it } from 'vitest';
import { testAgent } from 'colony/testing';
import { counter } from './counter.ts';

// A unit test of an agent: it runs in this process (no nats-server, no pods) with
// the runtime's own turns, state and reminders. Copy it next to your agent.
describe('counter', () => {
  it('counts per key', async () => {
    const t = testAgent(counter, { name: 'counter' }); // the name in its manifest
    expect(await t.instance('alice').increment({ by: 2 })).toEqual({ count: 2 });
    expect(await t.instance('bob').get()).toEqual({ count: 0 });
    expect(t.state('alice')).toEqual({ count: 2 }); // the state as last committed
  });

  it('refuses an input its schema does not allow, and keeps the count', async () => {
    const t = testAgent(counter, { name: 'counter' });
    await t.instance('alice').increment({ by: 2 });
    await expect(t.instance('alice').increment({ by: 0.5 })).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(t.state('alice')).toEqual({ count: 2 });
  });

  it('keeps its state when the instance is deactivated and activated again', async () => {
    const t = testAgent(counter, { name: 'counter' });
    await t.instance('alice').increment({ by: 5 });
    await t.deactivate('alice');
    expect(await t.instance('alice').get()).toEqual({ count: 5 });
  });
});
