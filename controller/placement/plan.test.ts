import { describe, expect, it } from 'vitest';
import { planPlacement, targetAssignment } from './plan.ts';

const count = (owners: (string | null)[], pod: string): number => owners.filter((o) => o === pod).length;

/** Runs the two-phase protocol to a fixed point, with pods releasing at once. */
function converge(partitions: number, start: (string | null)[], eligible: string[]): { owners: (string | null)[]; steps: number } {
  let owners = start;
  for (let steps = 1; steps < 10; steps += 1) {
    const served = new Map<string, number[]>();
    owners.forEach((o, p) => {
      if (o) served.set(o, [...(served.get(o) ?? []), p]);
    });
    const next = planPlacement({ partitions, owners, eligible, served });
    if (next.every((o, i) => o === owners[i])) return { owners, steps };
    owners = next;
  }
  throw new Error('did not converge');
}

describe('targetAssignment', () => {
  it('spreads partitions evenly over pods', () => {
    const target = targetAssignment(64, new Array(64).fill(null), ['a', 'b', 'c']);
    expect([count(target, 'a'), count(target, 'b'), count(target, 'c')].sort()).toEqual([21, 21, 22]);
    expect(target.every((o) => o !== null)).toBe(true);
  });

  it('leaves everything unassigned with no pods', () => {
    expect(targetAssignment(4, ['a', 'a', 'b', 'b'], []).every((o) => o === null)).toBe(true);
  });

  it('moves only what the new pod takes when one is added', () => {
    const before = targetAssignment(64, new Array(64).fill(null), ['a', 'b']);
    const after = targetAssignment(64, before, ['a', 'b', 'c']);
    const moved = after.filter((o, i) => o !== before[i]).length;
    expect(moved).toBe(count(after, 'c'));
    expect(count(after, 'c')).toBeGreaterThanOrEqual(21);
  });

  it('hands a removed pod’s partitions to the others, moving nothing else', () => {
    const before = targetAssignment(12, new Array(12).fill(null), ['a', 'b', 'c']);
    const after = targetAssignment(12, before, ['a', 'b']);
    before.forEach((o, i) => {
      if (o !== 'c') expect(after[i]).toBe(o);
    });
    expect(count(after, 'a')).toBe(6);
  });
});

describe('planPlacement', () => {
  it('assigns unowned partitions at once', () => {
    const next = planPlacement({ partitions: 4, owners: [null, null, null, null], eligible: ['a'], served: new Map() });
    expect(next).toEqual(['a', 'a', 'a', 'a']);
  });

  it('revokes before it reassigns', () => {
    const owners = ['a', 'a', 'a', 'a'];
    const served = new Map([['a', [0, 1, 2, 3]]]);
    const step1 = planPlacement({ partitions: 4, owners, eligible: ['a', 'b'], served });
    expect(count(step1, 'a')).toBe(2);
    expect(count(step1, null as never)).toBe(2);
    expect(count(step1, 'b')).toBe(0);
    // a still serves them: they stay unassigned
    const step2 = planPlacement({ partitions: 4, owners: step1, eligible: ['a', 'b'], served });
    expect(step2).toEqual(step1);
    // a released them: b gets them
    const released = new Map([['a', step1.flatMap((o, p) => (o === 'a' ? [p] : []))]]);
    const step3 = planPlacement({ partitions: 4, owners: step1, eligible: ['a', 'b'], served: released });
    expect(count(step3, 'b')).toBe(2);
    expect(count(step3, 'a')).toBe(2);
  });

  it('reassigns the partitions of a dead pod without waiting for it', () => {
    const owners = ['a', 'b', 'a', 'b'];
    const served = new Map([['a', [0, 2]]]);
    const step1 = planPlacement({ partitions: 4, owners, eligible: ['a'], served });
    expect(step1).toEqual(['a', null, 'a', null]);
    const step2 = planPlacement({ partitions: 4, owners: step1, eligible: ['a'], served });
    expect(step2).toEqual(['a', 'a', 'a', 'a']);
  });

  it('never assigns a partition to two pods, and converges from any table', () => {
    const pods = ['p1', 'p2', 'p3', 'p4'];
    for (let trial = 0; trial < 50; trial += 1) {
      const start = Array.from({ length: 16 }, (_, i) => (i * 7 + trial) % 5 === 0 ? null : (pods[(i + trial) % 4] as string));
      const eligible = pods.slice(0, 1 + (trial % 4));
      const { owners } = converge(16, start, eligible);
      expect(owners.every((o) => o !== null && eligible.includes(o))).toBe(true);
      const counts = eligible.map((p) => count(owners, p));
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
  });
});
