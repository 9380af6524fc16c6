import { describe, expect, it } from 'vitest';
import type { WorkflowStatus, WorkflowSummary } from '../agent-runtime/protocol/workflow.ts';
import { thrown } from '../test/helpers/thrown.ts';
import { DEFAULT_PAGE_LIMIT, decodeCursor, encodeCursor, MAX_PAGE_LIMIT, pageOf, parseListQuery, viewOf } from './workflow-views.ts';

function summary(id: string, createdAt: number, status: WorkflowStatus = 'running'): WorkflowSummary {
  return { id, workflow: 'order', status, input: { id }, createdAt, updatedAt: createdAt + 1, run: 1 };
}

describe('viewOf', () => {
  it('gives every field, null where the summary has none, and no parent', () => {
    const view = viewOf({ ...summary('a', 5), parent: { namespace: 'ns', workflow: 'batch', id: 'b', step: 3 } });
    expect(view).toEqual({
      id: 'a',
      workflow: 'order',
      status: 'running',
      input: { id: 'a' },
      output: null,
      error: null,
      customStatus: null,
      createdAt: 5,
      updatedAt: 6,
      run: 1,
    });
  });

  it('keeps output, error, customStatus and reason when set, and a falsy output as it is', () => {
    const error = { code: 'method_failed' as const, message: 'boom' };
    expect(viewOf({ ...summary('a', 5, 'completed'), output: 0, customStatus: 'shipping' })).toMatchObject({ output: 0, customStatus: 'shipping' });
    expect(viewOf({ ...summary('a', 5, 'failed'), error })).toMatchObject({ error, output: null });
    expect(viewOf({ ...summary('a', 5, 'terminated'), reason: 'duplicate' }).reason).toBe('duplicate');
  });
});

describe('the cursor', () => {
  it('round-trips a position, ids with any characters included', () => {
    for (const id of ['a', 'tenant/7 été ☃', '']) {
      const cursor = encodeCursor({ createdAt: 1_700_000_000_123, id });
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor)).toEqual({ createdAt: 1_700_000_000_123, id });
    }
  });

  it.each(['garbage!', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1]').toString('base64url'), Buffer.from('["1","a"]').toString('base64url')])(
    'refuses %j with a 400 that says what to pass',
    (cursor) => {
      const error = thrown(() => decodeCursor(cursor));
      expect(error.code).toBe('invalid_argument');
      expect(error.message).toContain('next');
    },
  );
});

describe('parseListQuery', () => {
  it('defaults to every status, 100 a page, from the start', () => {
    expect(parseListQuery({})).toEqual({ status: undefined, limit: DEFAULT_PAGE_LIMIT, after: undefined });
  });

  it('reads status, limit and cursor', () => {
    const cursor = encodeCursor({ createdAt: 9, id: 'x' });
    expect(parseListQuery({ status: 'failed', limit: '1000', cursor })).toEqual({ status: 'failed', limit: MAX_PAGE_LIMIT, after: { createdAt: 9, id: 'x' } });
  });

  it.each(['0', '1001', '-1', '1.5', 'ten', ''])('refuses limit=%j', (limit) => {
    const error = thrown(() => parseListQuery({ limit }));
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toContain('limit');
  });

  it('refuses an unknown status, listing the statuses', () => {
    const error = thrown(() => parseListQuery({ status: 'done' }));
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toContain('running, suspended, completed, failed, terminated');
  });

  it('refuses a parameter given twice', () => {
    expect(thrown(() => parseListQuery({ status: ['running', 'failed'] })).message).toContain('more than once');
  });
});

describe('pageOf', () => {
  const all = [summary('b', 200), summary('a', 100, 'completed'), summary('d', 300), summary('c', 200, 'failed'), summary('e', 50)];

  it('lists newest first, then by id, with no next when everything fits', () => {
    const page = pageOf(all, { limit: 10 });
    expect(page.workflows.map((view) => view.id)).toEqual(['d', 'b', 'c', 'a', 'e']);
    expect(page).not.toHaveProperty('next');
  });

  it('keeps only the status asked for', () => {
    expect(pageOf(all, { status: 'running', limit: 10 }).workflows.map((view) => view.id)).toEqual(['d', 'b', 'e']);
  });

  it('pages with a cursor through every workflow once, the last page without next', () => {
    const seen: string[] = [];
    let after;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = pageOf(all, { limit: 2, after });
      seen.push(...page.workflows.map((view) => view.id));
      if (page.next === undefined) break;
      after = decodeCursor(page.next);
    }
    expect(seen).toEqual(['d', 'b', 'c', 'a', 'e']);
  });

  it('gives no next when the last page is exactly full', () => {
    const first = pageOf(all, { limit: 3 });
    expect(first.next).toBeDefined();
    const second = pageOf(all, { limit: 2, after: decodeCursor(first.next as string) });
    expect(second.workflows.map((view) => view.id)).toEqual(['a', 'e']);
    expect(second).not.toHaveProperty('next');
  });

  it('continues after the cursor even when that workflow is gone (purged between pages)', () => {
    const page = pageOf(all.filter((one) => one.id !== 'b'), { limit: 10, after: { createdAt: 200, id: 'b' } });
    expect(page.workflows.map((view) => view.id)).toEqual(['c', 'a', 'e']);
  });
});
