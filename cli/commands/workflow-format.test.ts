import { describe, expect, it } from 'vitest';
import type { WorkflowView } from '../../gateway/workflow-views.ts';
import { formatDuration, formatHistory, formatInstance, formatList, formatPurged, formatTime, formatVerbReply } from './workflow-format.ts';

const T0 = Date.UTC(2026, 10, 29, 6, 0, 0);

const view: WorkflowView = {
  id: 'o-1',
  workflow: 'order',
  status: 'running',
  input: { items: [1, 2] },
  output: null,
  error: null,
  customStatus: null,
  createdAt: T0,
  updatedAt: T0 + 3_000,
  run: 1,
};

describe('formatTime and formatDuration', () => {
  it('shows times in UTC to the second', () => {
    expect(formatTime(T0 + 3_500)).toBe('2026-11-29 06:00:03');
  });

  it.each([
    [40, '40ms'],
    [1_500, '1.5s'],
    [59_000, '59s'],
    [123_000, '2m3s'],
    [120_000, '2m'],
    [3_720_000, '1h2m'],
    [7_200_000, '2h'],
  ])('shows %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('the verbs', () => {
  it('say what was done, to which instance, and its status', () => {
    expect(formatVerbReply('start', { id: 'o-1', workflow: 'order', status: 'running' })).toBe('started order/o-1 (running)\n');
    expect(formatVerbReply('event', { id: 'o-1', workflow: 'order', status: 'running' }, 'paid')).toBe('sent the event "paid" to order/o-1 (running)\n');
    expect(formatVerbReply('terminate', { id: 'o-1', workflow: 'order', status: 'terminated' })).toBe('terminated order/o-1 (terminated)\n');
    expect(formatPurged({ id: 'o-1', workflow: 'order' })).toBe('purged order/o-1 and its journal\n');
  });
});

describe('formatInstance', () => {
  it('shows the address and status, then the fields that are set', () => {
    expect(formatInstance(view)).toBe(
      'order/o-1  running\n  run      1\n  created  2026-11-29 06:00:00\n  updated  2026-11-29 06:00:03\n  input    {"items":[1,2]}\n',
    );
  });

  it('adds output, error, custom status and reason when there are', () => {
    const text = formatInstance({
      ...view,
      status: 'terminated',
      output: 0,
      error: { code: 'method_failed', message: 'no stock' },
      customStatus: 'packing',
      reason: 'duplicate',
    });
    expect(text).toContain('  output         0\n');
    expect(text).toContain('  error          method_failed: no stock\n');
    expect(text).toContain('  custom status  "packing"\n');
    expect(text).toContain('  reason         duplicate\n');
  });
});

describe('formatHistory', () => {
  it('shows the steps as a table, the events and the end', () => {
    const text = formatHistory({
      id: 'o-1',
      workflow: 'order',
      run: 2,
      steps: [
        { step: 0, kind: 'activity', name: 'charge', status: 'completed', scheduledAt: T0, completedAt: T0 + 50, durationMs: 50, attempts: 2, value: { receipt: 'r'.repeat(100) } },
        { step: 1, kind: 'activity', name: '', status: 'waiting', scheduledAt: T0 + 60, attempts: 1, error: { code: 'unavailable', message: 'no pod' } },
      ],
      events: [{ name: 'approved', at: T0 + 1_000 }],
      end: { status: 'completed', at: T0 + 2_000 },
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('order/o-1, run 2');
    expect(lines[1]).toMatch(/^STEP\s+KIND\s+NAME\s+STATUS\s+SCHEDULED\s+DURATION\s+ATTEMPTS\s+RESULT$/);
    expect(lines[2]).toMatch(/^0\s+activity\s+charge\s+completed\s+2026-11-29 06:00:00\s+50ms\s+2\s+\{"receipt":"r+…$/);
    expect(lines[2]?.length).toBeLessThan(160);
    expect(lines[3]).toMatch(/^1\s+activity\s+-\s+waiting\s+2026-11-29 06:00:00\s+-\s+1\s+last attempt: unavailable: no pod$/);
    expect(text).toContain('events:\n  2026-11-29 06:00:01  approved\n');
    expect(text).toMatch(/ended completed at 2026-11-29 06:00:02\n$/);
  });

  it('says when a run has no steps yet', () => {
    expect(formatHistory({ id: 'o-1', workflow: 'order', run: 1, steps: [], events: [] })).toBe('order/o-1, run 1\n(no steps yet)\n');
  });
});

describe('formatList', () => {
  const next = (cursor: string) => `colony workflow list order --cursor ${cursor}`;

  it('shows a table, and the command for the next page when there is one', () => {
    const text = formatList({ workflows: [view, { ...view, id: 'o-22', status: 'failed' }], next: 'abc' }, next);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+CREATED\s+UPDATED\s+RUN$/);
    expect(lines[1]).toMatch(/^o-1\s+running\s+2026-11-29 06:00:00\s+2026-11-29 06:00:03\s+1$/);
    expect(lines[2]).toMatch(/^o-22\s+failed\s+/);
    expect(lines[3]).toBe('more: colony workflow list order --cursor abc');
  });

  it('says when there are none, and prints no next on the last page', () => {
    expect(formatList({ workflows: [] }, next)).toBe('(no workflows)\n');
    expect(formatList({ workflows: [view] }, next)).not.toContain('more:');
  });
});
