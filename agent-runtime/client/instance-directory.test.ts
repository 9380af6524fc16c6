import { describe, expect, it } from 'vitest';
import { mergeActive } from './instance-directory.ts';

describe('mergeActive', () => {
  it('merges the pages of the pods into the first `limit` keys, with the pod of each', () => {
    const page = mergeActive(
      [
        { pod: 'p1', keys: ['a', 'c', 'e'], more: true },
        { pod: 'p2', keys: ['b', 'd'], more: false },
      ],
      ['p1', 'p2'],
      3,
    );
    expect(page).toEqual({
      instances: [
        { key: 'a', pod: 'p1' },
        { key: 'b', pod: 'p2' },
        { key: 'c', pod: 'p1' },
      ],
      more: true,
      unanswered: [],
    });
  });

  it('says when no more follow, and names the pods that did not answer', () => {
    expect(mergeActive([{ pod: 'p1', keys: ['a'], more: false }], ['p1', 'p2'], 3)).toEqual({ instances: [{ key: 'a', pod: 'p1' }], more: false, unanswered: ['p2'] });
  });

  it('lists a key reported by two pods (one releasing it) once', () => {
    const page = mergeActive(
      [
        { pod: 'p1', keys: ['a'], more: false },
        { pod: 'p2', keys: ['a', 'b'], more: false },
      ],
      ['p2'],
      10,
    );
    expect(page.instances.map((i) => i.key)).toEqual(['a', 'b']);
  });
});
