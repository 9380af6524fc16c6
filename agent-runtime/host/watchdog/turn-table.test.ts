import { describe, expect, it } from 'vitest';
import { createTurnTableBuffers, readTurnTable, TURN_SLOTS, TurnTable } from './turn-table.ts';

describe('the turn table shared with the watchdog thread', () => {
  it('shows the turns that run, with their start, deadline and address, and forgets ended ones', () => {
    const buffers = createTurnTableBuffers();
    let now = 1_000;
    const table = new TurnTable(buffers, () => now);
    const a = table.begin('counter/alice', 'increment', 31_000);
    now = 1_500;
    const b = table.begin('counter/été', 'get', 5_000);
    expect(readTurnTable(buffers)).toEqual({
      lastTick: 1_000,
      overflow: 0,
      overflowDeadline: 0,
      turns: [
        { what: 'counter/alice.increment', startedAt: 1_000, deadline: 31_000 },
        { what: 'counter/été.get', startedAt: 1_500, deadline: 5_000 },
      ],
    });
    table.end(a);
    table.tick();
    expect(readTurnTable(buffers)).toMatchObject({ lastTick: 1_500, turns: [{ what: 'counter/été.get' }] });
    table.end(b);
    expect(readTurnTable(buffers).turns).toEqual([]);
  });

  it('counts turns beyond its slots, with their latest deadline', () => {
    const buffers = createTurnTableBuffers();
    const table = new TurnTable(buffers, () => 0);
    const slots = Array.from({ length: TURN_SLOTS }, (_, i) => table.begin('a/k', 'm', i));
    const extra = [table.begin('a/k', 'm', 9_000), table.begin('a/k', 'm', 7_000)];
    expect(extra).toEqual([-1, -1]);
    expect(readTurnTable(buffers)).toMatchObject({ overflow: 2, overflowDeadline: 9_000 });
    for (const slot of extra) table.end(slot);
    expect(readTurnTable(buffers)).toMatchObject({ overflow: 0, overflowDeadline: 0 });
    for (const slot of slots) table.end(slot);
    expect(readTurnTable(buffers).turns).toHaveLength(0);
  });

  it('cuts an address too long for its slot at a character boundary', () => {
    const buffers = createTurnTableBuffers();
    const table = new TurnTable(buffers, () => 0);
    table.begin(`a/${'é'.repeat(200)}`, 'm', 1);
    const [turn] = readTurnTable(buffers).turns;
    expect(turn?.what.startsWith('a/éé')).toBe(true);
    expect(turn?.what).not.toContain('\uFFFD');
  });
});
