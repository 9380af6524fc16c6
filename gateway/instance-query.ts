import { DEFAULT_INSTANCE_PAGE, MAX_INSTANCE_PAGE } from '../agent-runtime/protocol/admin.ts';
import { ColonyError } from '../agent-runtime/protocol/errors.ts';
import { checkInstanceKey } from '../agent-runtime/protocol/limits.ts';
import { pageLimit, queryValue } from './page-query.ts';

/** What GET /v1/agents/{agent}/instances asks for, checked. */
export interface InstanceListQuery {
  /** The instances with a stored record, rather than those in memory. */
  stored: boolean;
  limit: number;
  /** The page starts after this key. */
  after?: string | undefined;
}

/** One instance in a list page. */
export interface ListedInstance {
  key: string;
  partition: number;
  /** The pod it is in memory on (the active list only). */
  pod?: string;
}

/** GET /v1/agents/{agent}/instances: one page, in key order; `next` is absent on the last. */
export interface InstancePage {
  agent: string;
  stored: boolean;
  instances: ListedInstance[];
  next?: string;
  /** Pods that did not answer in time (the active list): their instances are missing from the page. */
  unanswered?: string[];
}

const BAD_CURSOR = 'the query parameter cursor is not one this API gave; pass the `next` of the previous page as it was, or leave cursor out for the first page';

/** The opaque cursor after `key`: its UTF-8 in base64url. */
export function encodeKeyCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeKeyCursor(cursor: string): string {
  const key = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (checkInstanceKey(key) !== undefined || encodeKeyCursor(key) !== cursor) throw new ColonyError('invalid_argument', BAD_CURSOR);
  return key;
}

/** Reads `stored`, `limit` and `cursor` from a list request's query string; a bad one is a 400 naming it. */
export function parseInstanceListQuery(query: Record<string, unknown>): InstanceListQuery {
  const storedText = queryValue('stored', query.stored);
  const limitText = queryValue('limit', query.limit);
  const cursor = queryValue('cursor', query.cursor);
  if (storedText !== undefined && storedText !== 'true' && storedText !== 'false') {
    throw new ColonyError('invalid_argument', `the query parameter stored is "${storedText.slice(0, 32)}"; it is true (the instances with a stored record) or false (those in memory, the default)`);
  }
  const limit = pageLimit(limitText, DEFAULT_INSTANCE_PAGE, MAX_INSTANCE_PAGE);
  return { stored: storedText === 'true', limit, after: cursor === undefined || cursor === '' ? undefined : decodeKeyCursor(cursor) };
}

/** The page to answer: the instances listed, and the cursor after the last when more follow. */
export function instancePage(agent: string, stored: boolean, instances: ListedInstance[], more: boolean, unanswered: readonly string[] = []): InstancePage {
  const last = instances.at(-1);
  return {
    agent,
    stored,
    instances,
    ...(more && last !== undefined ? { next: encodeKeyCursor(last.key) } : {}),
    ...(unanswered.length > 0 ? { unanswered: [...unanswered] } : {}),
  };
}
