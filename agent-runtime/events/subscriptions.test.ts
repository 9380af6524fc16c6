import { describe, expect, it } from 'vitest';
import { loadSubscriptions } from './subscriptions.ts';

const methods = new Set(['onOrder', 'points']);

describe('loadSubscriptions', () => {
  it('finds the key by a field path, or with a function', () => {
    const [byPath, byFunction] = loadSubscriptions('loyalty', [
      { topic: 'orders', method: 'onOrder', key: 'order.customer' },
      { topic: 'refunds', method: 'onOrder', key: (event: { who: string }) => event.who },
    ], methods);
    expect(byPath?.keyOf({ order: { customer: 'ann' } })).toBe('ann');
    expect(byPath?.keyOf({ order: { customer: 7 } })).toBe('7');
    expect(() => byPath?.keyOf({ order: {} })).toThrow(/no string or number at "order.customer"/);
    expect(byFunction?.keyOf({ who: 'bob' })).toBe('bob');
    expect(() => byFunction?.keyOf({})).toThrow(/not a non-empty string/);
    expect(byPath?.maxAttempts).toBe(5);
  });

  it('names what is wrong: topic, method, key, attempts, a subscription twice', () => {
    const load = (sub: unknown) => () => loadSubscriptions('loyalty', [sub], methods);
    expect(load({ topic: 'Orders', method: 'onOrder', key: 'c' })).toThrow(/subscriptions\[0\]: "Orders" is not a topic name/);
    expect(load({ topic: 'orders', method: 'nope', key: 'c' })).toThrow(/method "nope" is not a method of the agent \(it has onOrder, points\)/);
    expect(load({ topic: 'orders', method: 'onOrder', key: 'a b' })).toThrow(/"key" must be a function of the event or the path of a field/);
    expect(load({ topic: 'orders', method: 'onOrder', key: 'c', maxAttempts: 0 })).toThrow(/"maxAttempts" must be an integer from 1 to 100/);
    expect(() => loadSubscriptions('loyalty', [{ topic: 'orders', method: 'onOrder', key: 'c' }, { topic: 'orders', method: 'onOrder', key: 'd' }], methods)).toThrow(
      /subscriptions\[1\]: topic orders is already handled by method onOrder/,
    );
  });
});
