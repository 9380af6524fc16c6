import { describe, expect, it } from 'vitest';
import type { JournalEntry } from './workflow.ts';
import { historyOf } from './workflow-history.ts';

const summary = { id: 'o-1', workflow: 'order', run: 2 };
const failure = { code: 'method_failed' as const, message: 'the card was declined' };

describe('historyOf', () => {
  it('shows an empty journal as a run with no steps, no events and no end', () => {
    expect(historyOf(summary, [])).toEqual({ id: 'o-1', workflow: 'order', run: 2, steps: [], events: [] });
  });

  it('shows done steps in step order, whatever order their messages came in, with times, duration and attempts', () => {
    const messages: JournalEntry[][] = [
      [{ t: 'done', k: 1, step: 'sleep', name: 'sleep', ok: true, started: 1_000, at: 61_000 }],
      [{ t: 'done', k: 0, step: 'activity', name: 'charge', ok: true, value: { receipt: 7 }, started: 500, at: 900, attempts: 2 }],
      [{ t: 'done', k: 2, step: 'call', name: 'stock.reserve', ok: false, error: failure, started: 61_000, at: 61_040 }],
    ];
    expect(historyOf(summary, messages).steps).toEqual([
      { step: 0, kind: 'activity', name: 'charge', status: 'completed', scheduledAt: 500, completedAt: 900, durationMs: 400, attempts: 2, value: { receipt: 7 } },
      { step: 1, kind: 'sleep', name: 'sleep', status: 'completed', scheduledAt: 1_000, completedAt: 61_000, durationMs: 60_000, attempts: 1 },
      { step: 2, kind: 'call', name: 'stock.reserve', status: 'failed', scheduledAt: 61_000, completedAt: 61_040, durationMs: 40, attempts: 1, error: failure },
    ]);
  });

  it('keeps a value that is falsy (0, false, null) but not an absent one', () => {
    const messages: JournalEntry[][] = [
      [
        { t: 'done', k: 0, step: 'random', name: 'random', ok: true, value: 0, started: 1, at: 1 },
        { t: 'done', k: 1, step: 'activity', name: 'check', ok: true, value: false, started: 1, at: 2 },
        { t: 'done', k: 2, step: 'activity', name: 'nothing', ok: true, value: null, started: 1, at: 2 },
        { t: 'done', k: 3, step: 'send', name: 'mail.send', ok: true, started: 1, at: 2 },
      ],
    ];
    const steps = historyOf(summary, messages).steps;
    expect(steps.map((step) => step.value)).toEqual([0, false, null, undefined]);
    expect(steps[3]).not.toHaveProperty('value');
  });

  it('shows a step with a timer and no done entry as waiting since the timer was set', () => {
    const messages: JournalEntry[][] = [
      [{ t: 'done', k: 0, step: 'now', name: 'now', ok: true, value: 10, started: 10, at: 10 }],
      [{ t: 'timer', k: 1, due: 3_600_010, at: 11 }],
    ];
    expect(historyOf(summary, messages).steps[1]).toEqual({ step: 1, kind: 'sleep', name: '', status: 'waiting', scheduledAt: 11 });
  });

  it('shows a step with failed attempts and no done entry as waiting, with its attempts so far and the last error', () => {
    const first = { code: 'unavailable' as const, message: 'no pod' };
    const messages: JournalEntry[][] = [
      [{ t: 'retry', k: 0, attempt: 1, error: first, delayMs: 1_000, at: 100 }],
      [{ t: 'retry', k: 0, attempt: 2, error: failure, delayMs: 2_000, at: 1_200 }],
    ];
    expect(historyOf(summary, messages).steps).toEqual([
      { step: 0, kind: 'activity', name: '', status: 'waiting', scheduledAt: 100, attempts: 2, error: failure },
    ]);
  });

  it('shows a step that was retried or had a timer, once done, as its done entry says', () => {
    const messages: JournalEntry[][] = [
      [{ t: 'timer', k: 0, due: 5_000, at: 0 }],
      [{ t: 'retry', k: 1, attempt: 1, error: failure, delayMs: 10, at: 20 }],
      [
        { t: 'done', k: 0, step: 'event', name: 'approved', ok: true, value: { by: 'ann' }, started: 0, at: 4_000 },
        { t: 'done', k: 1, step: 'activity', name: 'charge', ok: true, started: 5, at: 40, attempts: 2 },
      ],
    ];
    const steps = historyOf(summary, messages).steps;
    expect(steps.map((step) => [step.step, step.status, step.kind, step.name])).toEqual([
      [0, 'completed', 'event', 'approved'],
      [1, 'completed', 'activity', 'charge'],
    ]);
    expect(steps[1]).not.toHaveProperty('error');
  });

  it('lists the events with their names and arrival times, in journal order, without their payloads', () => {
    const messages: JournalEntry[][] = [
      [{ t: 'event', name: 'approved', payload: { by: 'ann' }, at: 30, id: 'call-1' }],
      [{ t: 'event', name: 'cancelled', at: 40 }],
    ];
    expect(historyOf(summary, messages).events).toEqual([
      { name: 'approved', at: 30 },
      { name: 'cancelled', at: 40 },
    ]);
  });

  it('gives the end entry with its status and time, and skips patch markers', () => {
    const messages: JournalEntry[][] = [
      [{ t: 'patch', id: 'new-tax', k: 0, at: 1 }],
      [{ t: 'end', status: 'completed', value: 42, at: 99 }],
    ];
    const history = historyOf(summary, messages);
    expect(history.steps).toEqual([]);
    expect(history.end).toEqual({ status: 'completed', at: 99 });
  });
});
