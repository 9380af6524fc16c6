import { describe, expect, it } from 'vitest';
import { pageOfKeys } from '../agent-runtime/protocol/admin.ts';
import { decodeKeyCursor, encodeKeyCursor, instancePage, parseInstanceListQuery } from './instance-query.ts';

describe('the query of GET /v1/agents/{agent}/instances', () => {
  it('defaults to the first 100 instances in memory', () => {
    expect(parseInstanceListQuery({})).toEqual({ stored: false, limit: 100, after: undefined });
  });

  it('reads stored, limit and a cursor, which carries any key', () => {
    for (const key of ['alice', 'tenant/7', 'été 😀', '.', 'a'.repeat(256)]) {
      expect(decodeKeyCursor(encodeKeyCursor(key))).toBe(key);
      expect(parseInstanceListQuery({ stored: 'true', limit: '5', cursor: encodeKeyCursor(key) })).toEqual({ stored: true, limit: 5, after: key });
    }
    expect(parseInstanceListQuery({ stored: 'false', cursor: '' })).toMatchObject({ stored: false, after: undefined });
  });

  it('refuses what it cannot read with a 400 naming the parameter', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ stored: 'yes' }, 'stored'],
      [{ limit: '0' }, 'limit'],
      [{ limit: '1001' }, 'limit'],
      [{ limit: '1.5' }, 'limit'],
      [{ limit: ['1', '2'] }, 'limit'],
      [{ cursor: 'not a cursor!' }, 'cursor'],
      [{ cursor: encodeKeyCursor('k'.repeat(257)) }, 'cursor'],
    ];
    for (const [query, name] of cases) {
      expect(() => parseInstanceListQuery(query), JSON.stringify(query)).toThrow(expect.objectContaining({ code: 'invalid_argument', message: expect.stringContaining(name) }));
    }
  });

  it('gives the cursor after the last instance when more follow, and none on the last page', () => {
    const listed = [{ key: 'a', partition: 1 }, { key: 'b', partition: 2 }];
    expect(instancePage('counter', true, listed, true)).toEqual({ agent: 'counter', stored: true, instances: listed, next: encodeKeyCursor('b') });
    expect(instancePage('counter', false, listed, false, ['pod-2'])).toEqual({ agent: 'counter', stored: false, instances: listed, unanswered: ['pod-2'] });
  });

  it('pages through every key once, in order, following the cursors', () => {
    const keys = ['b', 'a', 'd', 'c', 'e', 'a'];
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = pageOfKeys(keys, after, 2);
      seen.push(...page.keys);
      if (!page.more) break;
      after = decodeKeyCursor(encodeKeyCursor(page.keys.at(-1) as string));
    }
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
