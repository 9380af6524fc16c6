import { describe, expect, it } from 'vitest';
import { afterFailedFire, dueTime, nextDueAfterFire, reminderRetryDelayMs } from './reminder.ts';
import type { ReminderEntry } from './reminder.ts';

describe('nextDueAfterFire', () => {
  it('ends a one-shot reminder', () => {
    expect(nextDueAfterFire({ method: 'm', dueAt: 1_000 }, 1_000)).toBeUndefined();
  });

  it('schedules a periodic reminder one period on when it fires on time', () => {
    expect(nextDueAfterFire({ method: 'm', dueAt: 1_000, everyMs: 100 }, 1_000)).toBe(1_100);
    expect(nextDueAfterFire({ method: 'm', dueAt: 1_000, everyMs: 100 }, 1_050)).toBe(1_100);
  });

  it('collapses missed fires into one: the next is the first on schedule after now', () => {
    expect(nextDueAfterFire({ method: 'm', dueAt: 1_000, everyMs: 100 }, 1_350)).toBe(1_400);
    expect(nextDueAfterFire({ method: 'm', dueAt: 1_000, everyMs: 100 }, 1_400)).toBe(1_500);
  });
});

describe('reminderRetryDelayMs', () => {
  it('backs off exponentially up to a minute', () => {
    expect([1, 2, 3, 4].map(reminderRetryDelayMs)).toEqual([500, 1_000, 2_000, 4_000]);
    expect(reminderRetryDelayMs(20)).toBe(60_000);
  });
});

describe('afterFailedFire and dueTime', () => {
  it('retries a failed fire after a growing, capped backoff, counting failures and keeping its due time', () => {
    let entry: ReminderEntry = { method: 'm', dueAt: 1_000 };
    const retries: number[] = [];
    for (let now = 1_000, i = 0; i < 10; i += 1) {
      entry = afterFailedFire(entry, now);
      retries.push((entry.retryAt as number) - now);
      now = dueTime(entry);
    }
    expect(retries).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(entry).toMatchObject({ dueAt: 1_000, failures: 10 });
  });

  it('is due at its retry time after a failure, else at its due time', () => {
    expect(dueTime({ method: 'm', dueAt: 1_000 })).toBe(1_000);
    expect(dueTime({ method: 'm', dueAt: 1_000, failures: 1, retryAt: 1_500 })).toBe(1_500);
  });
});
