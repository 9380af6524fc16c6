import { describe, expect, it } from 'vitest';
import { CursorFloor, retryDelay } from './cursor.ts';

describe('CursorFloor', () => {
  it('moves only past events whose predecessors are all done', () => {
    const floor = new CursorFloor(10);
    for (const seq of [11, 12, 13]) floor.start(seq);
    expect(floor.done(12)).toBe(10);
    expect(floor.done(13)).toBe(10);
    expect(floor.done(11)).toBe(13);
    expect(floor.inFlight).toBe(0);
  });

  it('steps over sequences that never arrived (deleted messages)', () => {
    const floor = new CursorFloor(0);
    floor.start(1);
    floor.start(5);
    expect(floor.done(5)).toBe(0);
    expect(floor.done(1)).toBe(5);
  });

  it('ignores what it never started, or started at or below the floor', () => {
    const floor = new CursorFloor(7);
    floor.start(6);
    expect(floor.done(6)).toBe(7);
    expect(floor.done(9)).toBe(7);
  });
});

describe('retryDelay', () => {
  it('doubles from 200 ms and stops at 10 s', () => {
    expect([2, 3, 4, 5, 10].map((attempt) => retryDelay(attempt))).toEqual([200, 400, 800, 1600, 10_000]);
  });
});
