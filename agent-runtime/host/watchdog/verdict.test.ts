import { describe, expect, it } from 'vitest';
import type { TurnTableSnapshot } from './turn-table.ts';
import { describeTurns, judge } from './verdict.ts';

const options = { reportAfterMs: 2_000, graceMs: 2_000, idleLimitMs: 30_000 };
const spin = { what: 'careless/wedge.spin', startedAt: 10_000, deadline: 13_000 };
const table = (turns = [spin], overflow = 0, overflowDeadline = 0): TurnTableSnapshot => ({ lastTick: 10_050, turns, overflow, overflowDeadline });

describe('judge', () => {
  it('lets a main thread that ticked recently run', () => {
    expect(judge(table(), 11_000, options)).toEqual({ kind: 'running' });
  });

  it('reports a block once it is longer than reportAfterMs, with the time left before the kill', () => {
    expect(judge(table(), 12_100, options)).toMatchObject({ kind: 'blocked', blockedMs: 2_050, killInMs: 2_900 });
  });

  it('kills a pod blocked past the deadline of its running turn plus the grace, never before', () => {
    expect(judge(table(), 14_999, options).kind).toBe('blocked');
    expect(judge(table(), 15_000, options)).toMatchObject({ kind: 'kill', turns: [spin] });
  });

  it('waits for the latest deadline of everything running, turns without a slot included', () => {
    const long = { what: 'a/b.c', startedAt: 9_000, deadline: 40_000 };
    expect(judge(table([spin, long]), 20_000, options).kind).toBe('blocked');
    expect(judge(table([spin], 3, 50_000), 45_000, options).kind).toBe('blocked');
    expect(judge(table([spin], 3, 50_000), 52_000, options).kind).toBe('kill');
  });

  it('kills a pod blocked outside any turn after idleLimitMs', () => {
    expect(judge(table([]), 30_000, options).kind).toBe('blocked');
    expect(judge(table([]), 40_050, options).kind).toBe('kill');
  });
});

describe('describeTurns', () => {
  it('names what runs, for how long, and how it stands against its deadline', () => {
    expect(describeTurns([spin], 0, 12_000)).toBe('careless/wedge.spin (for 2.0 s, deadline in 1.0 s)');
    expect(describeTurns([spin], 2, 14_500)).toBe('careless/wedge.spin (for 4.5 s, 1.5 s past its deadline), 2 more');
    expect(describeTurns([], 0, 0)).toMatch(/no turn/);
  });
});
