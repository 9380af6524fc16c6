import { ColonyError } from '../agent-runtime/protocol/errors.ts';
import { WORKFLOW_STATUSES } from '../agent-runtime/protocol/workflow.ts';
import { pageLimit, queryValue } from './page-query.ts';
import type { WorkflowStatus, WorkflowSummary, WorkflowView } from '../agent-runtime/protocol/workflow.ts';

export type { WorkflowView } from '../agent-runtime/protocol/workflow.ts';

/** Workflows a page lists unless `limit` says otherwise, and the most it may say. */
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1_000;

/** GET /v1/workflows/{workflow}: one page, newest first; `next` is absent on the last. */
export interface WorkflowViewPage {
  workflows: WorkflowView[];
  next?: string;
}

export function viewOf(summary: WorkflowSummary): WorkflowView {
  const view: WorkflowView = {
    id: summary.id,
    workflow: summary.workflow,
    status: summary.status,
    input: summary.input ?? null,
    output: summary.output ?? null,
    error: summary.error ?? null,
    customStatus: summary.customStatus ?? null,
    createdAt: summary.createdAt,
    updatedAt: summary.updatedAt,
    run: summary.run,
  };
  if (summary.reason !== undefined) view.reason = summary.reason;
  return view;
}

/** What a list request asks for, checked. */
export interface ListQuery {
  status?: WorkflowStatus | undefined;
  limit: number;
  /** Where the previous page ended: the page starts after it. */
  after?: ListPosition | undefined;
}

/** A place in the list's order: newest first, then by id. */
export interface ListPosition {
  createdAt: number;
  id: string;
}

/** The list's order: createdAt descending, then id ascending (ids are unique within a workflow). */
export function compareNewestFirst(a: ListPosition, b: ListPosition): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

/** The opaque cursor of a position: base64url of `[createdAt, id]`. */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8').toString('base64url');
}

const BAD_CURSOR = 'the query parameter cursor is not one this API gave; pass the `next` of the previous page as it was, or leave cursor out for the first page';

export function decodeCursor(cursor: string): ListPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ColonyError('invalid_argument', BAD_CURSOR);
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'number' || !Number.isFinite(parsed[0]) || typeof parsed[1] !== 'string') {
    throw new ColonyError('invalid_argument', BAD_CURSOR);
  }
  return { createdAt: parsed[0], id: parsed[1] };
}

/** Reads `status`, `limit` and `cursor` from a list request's query string; a bad one is a 400 naming it. */
export function parseListQuery(query: Record<string, unknown>): ListQuery {
  const status = queryValue('status', query.status);
  const limitText = queryValue('limit', query.limit);
  const cursor = queryValue('cursor', query.cursor);
  if (status !== undefined && !(WORKFLOW_STATUSES as readonly string[]).includes(status)) {
    throw new ColonyError('invalid_argument', `the query parameter status is "${status.slice(0, 32)}"; it is one of ${WORKFLOW_STATUSES.join(', ')}`);
  }
  return {
    status: status as WorkflowStatus | undefined,
    limit: pageLimit(limitText, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT),
    after: cursor === undefined || cursor === '' ? undefined : decodeCursor(cursor),
  };
}

/** One page of `summaries` (in any order): those with the status asked for, newest first, after the cursor. */
export function pageOf(summaries: readonly WorkflowSummary[], query: ListQuery): WorkflowViewPage {
  const { status, after, limit } = query;
  const listed = summaries
    .filter((summary) => status === undefined || summary.status === status)
    .filter((summary) => after === undefined || compareNewestFirst(summary, after) > 0)
    .sort(compareNewestFirst);
  const page = listed.slice(0, limit);
  const last = page.at(-1);
  const more = listed.length > page.length && last !== undefined;
  return { workflows: page.map(viewOf), ...(more ? { next: encodeCursor(last) } : {}) };
}
