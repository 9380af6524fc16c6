import { describe, expect, it } from 'vitest';
import { stateToJson } from './state-json.ts';

describe('stateToJson', () => {
  it('turns plain JSON values into JSON', () => {
    expect(stateToJson({ n: 1, list: [1, 'a', null, { empty: {} }] }, 'c/k')).toBe('{"n":1,"list":[1,"a",null,{"empty":{}}]}');
    expect(stateToJson(null, 'c/k')).toBe('null');
    expect(stateToJson(new Date(0), 'c/k')).toBe('"1970-01-01T00:00:00.000Z"');
  });

  it.each([
    ['undefined', undefined, /the state is undefined/],
    ['a function', () => 1, /the state is a function/],
    ['a BigInt inside', { n: 10n }, /cannot be turned into JSON/],
    ['a cycle', (() => { const a: Record<string, unknown> = {}; a.self = a; return a; })(), /cannot be turned into JSON/],
    ['a Map inside', { index: new Map([['a', 1]]) }, /state\.index is a Map/],
    ['a Set in a list', { tags: [1, new Set([2])] }, /state\.tags\[1\] is a Set/],
    ['a Promise', { pending: Promise.resolve(1) }, /state\.pending is a Promise/],
  ])('refuses %s, naming the instance and what to do', (_name, state, problem) => {
    expect(() => stateToJson(state, 'counter/alice')).toThrow(problem);
    expect(() => stateToJson(state, 'counter/alice')).toThrow(/the state of counter\/alice cannot be stored/);
  });
});
