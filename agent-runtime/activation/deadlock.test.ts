import { describe, expect, it } from 'vitest';
import { MAX_PROBE_HOPS, splitAddress, stepProbe } from './deadlock.ts';

describe('stepProbe', () => {
  it('forwards a probe along the waits of a waiting instance', () => {
    expect(stepProbe({ origin: 'a/1', path: [] }, 'b/1', ['c/1'])).toEqual({
      kind: 'forward',
      to: ['c/1'],
      probe: { origin: 'a/1', path: ['b/1'] },
    });
  });

  it('drops a probe at an instance that waits on nobody', () => {
    expect(stepProbe({ origin: 'a/1', path: [] }, 'b/1', [])).toEqual({ kind: 'drop' });
  });

  it('reports a cycle when the probe returns to its origin, naming the last hop', () => {
    expect(stepProbe({ origin: 'a/1', path: ['b/1', 'c/1'] }, 'a/1', ['b/1'])).toEqual({ kind: 'cycle', from: 'c/1' });
  });

  it('ignores a returning probe when the origin no longer waits', () => {
    expect(stepProbe({ origin: 'a/1', path: ['b/1'] }, 'a/1', [])).toEqual({ kind: 'drop' });
  });

  it('does not loop through a cycle that excludes the origin, and stops at the hop limit', () => {
    expect(stepProbe({ origin: 'a/1', path: ['b/1', 'c/1'] }, 'b/1', ['c/1'])).toEqual({ kind: 'drop' });
    const long = Array.from({ length: MAX_PROBE_HOPS }, (_, i) => `x/${i}`);
    expect(stepProbe({ origin: 'a/1', path: long }, 'y/1', ['z/1'])).toEqual({ kind: 'drop' });
  });

  it('splits addresses whose keys contain slashes', () => {
    expect(splitAddress('counter/tenant/7')).toEqual({ agent: 'counter', key: 'tenant/7' });
  });
});
