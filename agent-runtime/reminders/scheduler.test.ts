import { describe, expect, it } from 'vitest';
import { createLogger } from '../observability/log.ts';
import type { LogLine } from '../observability/log.ts';
import { ReminderScheduler } from './scheduler.ts';
import type { WakeEntry } from '../protocol/wake.ts';
import type { WakeIndex } from './wake-index.ts';

/** An index whose first `failures` lists fail, as KV does while JetStream recovers. */
function flakyIndex(failures: number): WakeIndex & { lists: number } {
  const index = {
    lists: 0,
    async list(): Promise<{ key: string; entry: WakeEntry }[]> {
      index.lists += 1;
      if (index.lists <= failures) throw new Error('JetStream not ready');
      return [{ key: 'k', entry: { reminderAt: Date.now() + 60_000, tasks: false } }];
    },
    async put(): Promise<void> {},
    async delete(): Promise<void> {},
  };
  return index;
}

describe('ReminderScheduler', () => {
  it('retries loading a partition it took over until it works, saying so', async () => {
    const lines: LogLine[] = [];
    const waits: number[] = [];
    const index = flakyIndex(2);
    const sleep = async (ms: number): Promise<void> => void waits.push(ms);
    const scheduler = new ReminderScheduler({ index, wake: async () => undefined, sleep, log: createLogger({ sink: (line) => lines.push(line) }) });
    await scheduler.acquire(3);
    expect(index.lists).toBe(3);
    expect(waits).toEqual([500, 1_000]);
    expect(scheduler.scheduled).toBe(1);
    expect(lines.map((line) => line.msg)).toEqual([
      'loading the reminders of partition 3 failed; retrying in 500 ms',
      'loading the reminders of partition 3 failed; retrying in 1000 ms',
    ]);
    scheduler.stop();
  });

  it('stops retrying when the partition is released', async () => {
    const index = flakyIndex(100);
    let wakeUp: (() => void) | undefined;
    // The partition leaves while the scheduler waits to retry.
    const sleep = (): Promise<void> => new Promise((resolve) => (wakeUp = resolve));
    const scheduler = new ReminderScheduler({ index, wake: async () => undefined, sleep, log: createLogger({ sink: () => undefined }) });
    const acquiring = scheduler.acquire(3);
    await expect.poll(() => wakeUp).toBeDefined();
    scheduler.release(3);
    wakeUp?.();
    await acquiring;
    expect(index.lists).toBe(1);
    expect(scheduler.scheduled).toBe(0);
  });
});
