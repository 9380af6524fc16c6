import { describe, expect, it } from 'vitest';
import { nextDueAfterFire, reminderRetryDelayMs } from './reminder.ts';

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
