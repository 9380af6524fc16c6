import type { ReplyStream } from '../sdk/context.ts';

/**
 * Where a turn's chunks go: to the caller as they come (StreamSink, when the
 * caller reads a stream), or into an array that becomes the result
 * (CollectingWriter: the gateway without `Accept: text/event-stream`, an
 * agent's `ctx.call`, a timer or a reminder).
 */
export interface ChunkWriter extends ReplyStream {
  write(chunk: unknown): Promise<void>;
  /** The method streams (it wrote, or returned an async iterable): opens the stream if it is not open yet. */
  begin(): void;
  /** True once the method streamed. */
  readonly streaming: boolean;
  /**
   * The turn's result once the method finished: the collected chunks for a
   * collecting writer, nothing for a stream (its chunks went out already).
   */
  result(): unknown;
}

/** Collects the chunks into an array: the result of a streaming method for a caller that does not read streams. */
export class CollectingWriter implements ChunkWriter {
  readonly #signal: AbortSignal;
  #chunks: unknown[] | undefined;

  constructor(signal: AbortSignal) {
    this.#signal = signal;
  }

  get streaming(): boolean {
    return this.#chunks !== undefined;
  }

  begin(): void {
    this.#chunks ??= [];
  }

  async write(chunk: unknown): Promise<void> {
    this.#signal.throwIfAborted();
    this.begin();
    // Copied through JSON now, as a stream would send it: later changes to the value do not show.
    const json = JSON.stringify(chunk);
    (this.#chunks as unknown[]).push(json === undefined ? null : JSON.parse(json));
  }

  result(): unknown {
    return this.#chunks;
  }
}
