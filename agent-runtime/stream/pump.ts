import type { ChunkWriter } from './chunk-writer.ts';

/** True for a value a method returns to stream: anything with `Symbol.asyncIterator` (an `async function*`'s generator). */
export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/**
 * What a method's call answers, once its function returned `returned`: an
 * async iterable is drained into `writer` — one chunk at a time, each written
 * (and so granted credit by the caller) before the next is pulled, so a slow
 * reader slows the iteration. Once `signal` is aborted no further chunk is
 * pulled and the iterator is closed (`return()`: its `finally` blocks run).
 * Returns the turn's result: the collected chunks, nothing for a stream, or
 * `returned` itself for a method that did not stream.
 */
export async function finishMethod(returned: unknown, writer: ChunkWriter, signal: AbortSignal): Promise<unknown> {
  if (isAsyncIterable(returned)) {
    writer.begin();
    const iterator = returned[Symbol.asyncIterator]();
    let done = false;
    try {
      while (!signal.aborted) {
        const next = await iterator.next();
        if (next.done) {
          done = true;
          break;
        }
        if (signal.aborted) break;
        await writer.write(next.value);
      }
    } finally {
      if (!done) await iterator.return?.();
    }
    return writer.result();
  }
  if (!writer.streaming) return returned;
  // A method that wrote to ctx.stream: what it returns besides nothing is its last chunk.
  if (returned !== undefined && !signal.aborted) await writer.write(returned);
  return writer.result();
}
