import { describe, expect, it } from 'vitest';
import { changes, simulate } from './test-load.ts';
import type { SimulatedDecision, SimulationOptions } from './test-load.ts';

const MINUTE = 60_000;

interface Case {
  name: string;
  options: SimulationOptions;
  check: (decisions: SimulatedDecision[]) => void;
}

const replicasAt = (decisions: readonly SimulatedDecision[], at: number): number | undefined => decisions.find((d) => d.at === at)?.replicas;
const max = (decisions: readonly SimulatedDecision[]): number => Math.max(...decisions.map((d) => d.replicas));

const cases: Case[] = [
  {
    name: 'steady load at target holds',
    options: { startReplicas: 3, load: () => ({ concurrency: 3, turnsPerSecond: 30 }), durationMs: MINUTE },
    check: (decisions) => {
      expect(new Set(decisions.map((d) => d.replicas))).toEqual(new Set([3]));
      expect(decisions.every((d) => d.reason.startsWith('hold at 3: 1.0 turns in flight per pod'))).toBe(true);
    },
  },
  {
    name: 'a burst from one pod goes up within seconds (panic), and no higher than needed',
    options: { startReplicas: 1, load: (t) => ({ concurrency: t < 0 ? 1 : 8 }), durationMs: MINUTE, startupMs: 2_000 },
    check: (decisions) => {
      const reached = decisions.find((d) => d.replicas === 8);
      expect(reached?.at).toBeLessThanOrEqual(10_000);
      expect(reached?.reason).toContain('(panic)');
      expect(max(decisions)).toBe(8);
    },
  },
  {
    name: 'a slow ramp is followed on the stable window, never down',
    options: { startReplicas: 1, load: (t) => ({ concurrency: 1 + Math.max(0, t) / 12_000 }), durationMs: MINUTE },
    check: (decisions) => {
      expect(changes(decisions, 1).every(({ from, to }) => to > from)).toBe(true);
      const final = replicasAt(decisions, MINUTE) ?? 0;
      expect(final).toBeGreaterThanOrEqual(4);
      expect(final).toBeLessThanOrEqual(6);
    },
  },
  {
    name: 'load beyond maxReplicas stops at maxReplicas',
    options: { startReplicas: 2, spec: { maxReplicas: 6 }, load: () => ({ concurrency: 50 }), durationMs: MINUTE },
    check: (decisions) => {
      expect(max(decisions)).toBe(6);
      expect(decisions.at(-1)?.reason).toContain('maxReplicas is 6');
    },
  },
  {
    name: 'idle pods step down to minReplicas, halving once per delay',
    options: { startReplicas: 8, spec: { minReplicas: 2 }, load: () => ({ concurrency: 0 }), durationMs: 2 * MINUTE },
    check: (decisions) => {
      expect(changes(decisions, 8)).toEqual([
        { at: 30_000, from: 8, to: 4 },
        { at: 60_000, from: 4, to: 2 },
      ]);
    },
  },
  {
    name: 'active instances drive scaling while turns are idle',
    options: { startReplicas: 1, load: () => ({ activeInstances: 3_500 }), durationMs: MINUTE },
    check: (decisions) => {
      expect(decisions.at(-1)?.replicas).toBe(4);
      expect(decisions.at(-1)?.reason).toBe('hold at 4: 875 active instances per pod over 1m, target 1000');
    },
  },
  {
    name: 'bursty spikes do not flap down between bursts',
    // 1 in flight, with 2-second spikes to 10 every 16 seconds.
    options: { startReplicas: 2, load: (t) => ({ concurrency: t >= 0 && t % 16_000 < 2_000 ? 10 : 1 }), durationMs: 3 * MINUTE },
    check: (decisions) => {
      // The first burst panics up to 4; the minute's average (2.1 in flight) then settles at 3 and stays.
      const history = changes(decisions, 2);
      expect(history).toEqual([
        { at: 2_000, from: 2, to: 4 },
        { at: 92_000, from: 4, to: 3 },
      ]);
      // No pod is removed between two bursts (16 s apart) and added back at the next one.
      expect(decisions.filter((d) => d.at > 92_000).every((d) => d.replicas === 3)).toBe(true);
    },
  },
  {
    name: 'a stop in traffic scales down gradually and only after the delay',
    options: { startReplicas: 8, load: (t) => ({ concurrency: t < 0 ? 8 : 1 }), durationMs: 4 * MINUTE },
    check: (decisions) => {
      const history = changes(decisions, 8);
      expect(history.at(-1)?.to).toBe(1);
      expect(history[0]?.at).toBeGreaterThanOrEqual(30_000);
      for (const [i, step] of history.entries()) {
        expect(step.to).toBeLessThan(step.from);
        expect(step.to).toBeGreaterThanOrEqual(Math.ceil(step.from / 2));
        if (i > 0) expect(step.at - (history[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(30_000);
      }
    },
  },
  {
    name: 'scale to zero after the quiet period, and wake on the next call',
    options: {
      startReplicas: 1,
      spec: { minReplicas: 0, scaleToZeroAfterMs: 2 * MINUTE },
      load: (t) => ({ concurrency: t >= 200_000 && t < 210_000 ? 1 : 0 }),
      durationMs: 4 * MINUTE,
      startupMs: 3_000,
    },
    check: (decisions) => {
      // The quiet clock starts at the first decision (t = 0): zero at 2 minutes, not earlier.
      expect(changes(decisions, 1)).toEqual([
        { at: 120_000, from: 1, to: 0 },
        { at: 200_000, from: 0, to: 1 },
      ]);
      expect(decisions.find((d) => d.at === 120_000)?.reason).toBe('scale to zero: no calls for 2m');
      expect(decisions.find((d) => d.at === 200_000)?.reason).toBe('wake from zero: a call is waiting');
      expect(decisions.find((d) => d.at === 202_000)?.reason).toBe('hold at 1: no pod is ready yet');
    },
  },
];

describe('autoscaler over simulated load', () => {
  it.each(cases)('$name', ({ options, check }) => {
    check(simulate(options));
  });

  it('never leaves [minReplicas, maxReplicas] whatever the load', () => {
    const spiky = (t: number) => ({ concurrency: Math.abs(Math.sin(t / 7_000)) * 40, activeInstances: (t % 30_000) * 0.2 });
    const decisions = simulate({ startReplicas: 3, spec: { minReplicas: 2, maxReplicas: 7 }, load: spiky, durationMs: 5 * MINUTE, startupMs: 4_000 });
    expect(Math.min(...decisions.map((d) => d.replicas))).toBeGreaterThanOrEqual(2);
    expect(max(decisions)).toBeLessThanOrEqual(7);
  });
});
