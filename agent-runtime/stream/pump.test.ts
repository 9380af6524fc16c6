import { describe, expect, it } from 'vitest';
import { CollectingWriter } from './chunk-writer.ts';
import { finishMethod, isAsyncIterable } from './pump.ts';

describe('finishMethod', () => {
  it('collects an async iterable into an array, copied through JSON', async () => {
    const shared = { n: 0 };
    async function* chunks() {
      for (let i = 1; i <= 3; i += 1) {
        shared.n = i;
        yield shared;
      }
    }
    const writer = new CollectingWriter(new AbortController().signal);
    expect(await finishMethod(chunks(), writer, new AbortController().signal)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('answers an empty array for an iterable with no chunks, and a plain value as it is', async () => {
    async function* none() {}
    expect(await finishMethod(none(), new CollectingWriter(new AbortController().signal), new AbortController().signal)).toEqual([]);
    expect(await finishMethod({ count: 2 }, new CollectingWriter(new AbortController().signal), new AbortController().signal)).toEqual({ count: 2 });
    expect(await finishMethod(undefined, new CollectingWriter(new AbortController().signal), new AbortController().signal)).toBeUndefined();
  });

  it('makes what a method returns after writing to ctx.stream its last chunk', async () => {
    const signal = new AbortController().signal;
    const writer = new CollectingWriter(signal);
    await writer.write({ i: 1 });
    expect(await finishMethod({ last: true }, writer, signal)).toEqual([{ i: 1 }, { last: true }]);
  });

  it('writes no chunk yielded after the signal aborted, pulls no more, and closes the iterator (its finally runs)', async () => {
    const abort = new AbortController();
    let pulled = 0;
    let closed = false;
    async function* endless() {
      try {
        for (;;) {
          pulled += 1;
          yield pulled;
          if (pulled === 3) abort.abort();
        }
      } finally {
        closed = true;
      }
    }
    const writer = new CollectingWriter(new AbortController().signal);
    expect(await finishMethod(endless(), writer, abort.signal)).toEqual([1, 2, 3]);
    // The abort came as the pump asked for chunk 4: the generator yielded it after, and it was dropped.
    expect(pulled).toBe(4);
    expect(closed).toBe(true);
  });

  it('knows an async iterable when it sees one', () => {
    expect(isAsyncIterable((async function* () {})())).toBe(true);
    expect(isAsyncIterable([1, 2])).toBe(false);
    expect(isAsyncIterable(null)).toBe(false);
    expect(isAsyncIterable('text')).toBe(false);
  });
});
