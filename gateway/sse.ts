import type { ServerResponse } from 'node:http';
import { ColonyError } from '../agent-runtime/protocol/errors.ts';
import { errorPayload, streamCutByShutdownError } from './errors.ts';

/** The media type of Server-Sent Events, as a client asks for it in `Accept`. */
export const EVENT_STREAM = 'text/event-stream';

/** True when the request's Accept header names text/event-stream: the caller reads a streamed reply as it comes. */
export function acceptsEventStream(accept: string | string[] | undefined): boolean {
  if (accept === undefined) return false;
  const values = Array.isArray(accept) ? accept.join(',') : accept;
  // The hot path: most calls send no Accept, or one without it.
  if (!values.toLowerCase().includes(EVENT_STREAM)) return false;
  return values.split(',').some((part) => {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    return type?.trim() === EVENT_STREAM && !params.some((param) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(param));
  });
}

/**
 * One chunk as an SSE event: `data: <json>` and a blank line. Chunks are
 * JSON.stringify's output, which has no line breaks (they are escaped in
 * strings), so one `data:` line carries each.
 */
export function sseChunk(json: string): string {
  return `data: ${json}\n\n`;
}

/** A named event with a JSON payload: `end` (`{"chunks": n}`) or `error` (`{"error": {code, message}}`). */
export function sseEvent(name: 'end' | 'error', json: string): string {
  return `event: ${name}\ndata: ${json}\n\n`;
}

/** What became of a stream sent to an HTTP client. */
export interface SseOutcome {
  chunks: number;
  /** The code the stream ended with: `ok`, an error code, or `cancelled` when the client went away. */
  status: string;
}

/** What the gateway reads a stream from (client/stream-call.ts's ChunkReader). */
export interface ChunkSource extends AsyncIterable<Uint8Array> {
  /** Tells the pod the reader went away. */
  cancel(reason: string): void;
}

export interface EventStreamOptions {
  /** Response headers besides the content type (the call id, the wait). */
  headers: Record<string, string>;
  /** Aborted when the gateway begins to close. */
  closing: AbortSignal;
  /** A comment line is sent after this long without a write, so proxies keep a quiet stream open. */
  keepAliveMs?: number;
}

/** Silence after which a stream gets a `: keep-alive` comment: below the 60 s idle timeout of common proxies. */
export const SSE_KEEP_ALIVE_MS = 15_000;

/**
 * Writes a streamed reply to `res` as Server-Sent Events, as fast as the
 * client reads: the next chunk is asked of the pod only once the last one was
 * written (or the socket drained), so a slow client holds the pod back by the
 * stream's window. A client that goes away, or a gateway that closes, cancels
 * the stream (the method's signal is aborted). Ends with `event: end` or
 * `event: error`.
 */
export async function writeEventStream(res: ServerResponse, chunks: ChunkSource, options: EventStreamOptions): Promise<SseOutcome> {
  res.writeHead(200, { 'content-type': `${EVENT_STREAM}; charset=utf-8`, 'cache-control': 'no-cache', 'x-accel-buffering': 'no', ...options.headers });
  res.flushHeaders();
  let gone = false;
  const onClose = (): void => {
    if (res.writableFinished) return;
    gone = true;
    chunks.cancel('the HTTP client disconnected');
  };
  res.on('close', onClose);
  // A gateway that shuts down ends its streams rather than wait for them (they may run for minutes).
  let shutdown: ColonyError | undefined;
  const onClosing = (): void => {
    shutdown = streamCutByShutdownError();
    chunks.cancel('the gateway is shutting down');
  };
  options.closing.addEventListener('abort', onClosing, { once: true });
  let wrote = false;
  const keepAlive = setInterval(() => {
    if (!wrote && !gone) res.write(': keep-alive\n\n');
    wrote = false;
  }, options.keepAliveMs ?? SSE_KEEP_ALIVE_MS);
  let count = 0;
  try {
    for await (const chunk of chunks) {
      if (gone) break;
      count += 1;
      wrote = true;
      if (!res.write(sseChunk(Buffer.from(chunk).toString('utf8')))) await drainedOrClosed(res);
    }
    if (gone) return { chunks: count, status: 'cancelled' };
    res.end(sseEvent('end', JSON.stringify({ chunks: count })));
    return { chunks: count, status: 'ok' };
  } catch (thrown) {
    const error = shutdown ?? (thrown instanceof ColonyError ? thrown : new ColonyError('internal', 'the stream failed in the gateway; its logs have the details', { cause: thrown }));
    if (gone) return { chunks: count, status: 'cancelled' };
    res.end(sseEvent('error', errorPayload(error)));
    return { chunks: count, status: error.code };
  } finally {
    clearInterval(keepAlive);
    res.off('close', onClose);
    options.closing.removeEventListener('abort', onClosing);
  }
}

/** Resolves when `res` can take more (drain) or is gone (close); leaves no listener behind. */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
