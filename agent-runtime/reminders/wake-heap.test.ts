import { describe, expect, it } from 'vitest';
import { WakeHeap } from './wake-heap.ts';

describe('WakeHeap', () => {
  it('returns due keys in time order, and only the due ones', () => {
    const heap = new WakeHeap();
    for (const [key, at] of [['c', 30], ['a', 10], ['d', 40], ['b', 20]] as const) heap.set(key, at);
    expect(heap.peek()).toBe(10);
    expect(heap.takeDue(25).map((d) => d.key)).toEqual(['a', 'b']);
    expect(heap.size).toBe(2);
    expect(heap.peek()).toBe(30);
  });

  it('keeps the latest time of a key and forgets deleted keys', () => {
    const heap = new WakeHeap();
    heap.set('a', 10);
    heap.set('a', 50);
    heap.set('b', 20);
    heap.delete('b');
    expect(heap.takeDue(30)).toEqual([]);
    expect(heap.takeDue(60)).toEqual([{ key: 'a', at: 50 }]);
    expect(heap.peek()).toBeUndefined();
  });

  it('stays ordered under many random operations', () => {
    const heap = new WakeHeap();
    const expected = new Map<string, number>();
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 2_000; i += 1) {
      const key = `k${Math.floor(random() * 200)}`;
      if (random() < 0.2) {
        heap.delete(key);
        expected.delete(key);
      } else {
        const at = Math.floor(random() * 10_000);
        heap.set(key, at);
        expected.set(key, at);
      }
    }
    const due = heap.takeDue(Number.MAX_SAFE_INTEGER);
    expect(due.map((d) => d.at)).toEqual([...due.map((d) => d.at)].sort((a, b) => a - b));
    expect(new Map(due.map((d) => [d.key, d.at]))).toEqual(expected);
  });
});
