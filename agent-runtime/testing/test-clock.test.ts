import { describe, expect, it } from 'vitest';
import { TestClock } from './test-clock.ts';

describe('TestClock', () => {
  it('fires timers in due order (same time: in the order set), each at its time, and ends at the target', async () => {
    const fired: [string, number][] = [];
    const clock = new TestClock(1_000, async () => undefined);
    clock.set(() => fired.push(['b', clock.now()]), 20);
    clock.set(() => fired.push(['a', clock.now()]), 10);
    clock.set(() => fired.push(['c', clock.now()]), 20);
    const cancel = clock.set(() => fired.push(['cancelled', clock.now()]), 15);
    clock.set(() => fired.push(['later', clock.now()]), 31);
    cancel();
    await clock.advance(30);
    expect(fired).toEqual([['a', 1_010], ['b', 1_020], ['c', 1_020]]);
    expect(clock.now()).toBe(1_030);
    expect(clock.pending).toBe(1);
  });

  it('fires a timer that a timer set within the advance, and settles after each', async () => {
    const steps: string[] = [];
    const clock = new TestClock(0, async () => void steps.push(`settle@${clock.now()}`));
    clock.set(() => {
      steps.push(`first@${clock.now()}`);
      clock.set(() => steps.push(`second@${clock.now()}`), 5);
    }, 5);
    await clock.advance(10);
    expect(steps).toEqual(['settle@0', 'first@5', 'settle@5', 'second@10', 'settle@10']);
  });
});
