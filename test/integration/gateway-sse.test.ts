import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ColonyError } from '../../agent-runtime/protocol/errors.ts';
import { writeEventStream } from '../../gateway/sse.ts';
import type { ChunkSource, SseOutcome } from '../../gateway/sse.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const encoder = new TextEncoder();

/** A stream's chunks as the gateway reads them, from a script instead of a pod: `cancelled` says why it was cancelled. */
function source(script: (cancelled: () => string | undefined) => AsyncGenerator<unknown>): ChunkSource & { cancelled: string | undefined } {
  const state: { cancelled: string | undefined } = { cancelled: undefined };
  return {
    get cancelled() {
      return state.cancelled;
    },
    cancel(reason: string) {
      state.cancelled = reason;
    },
    async *[Symbol.asyncIterator]() {
      for await (const chunk of script(() => state.cancelled)) {
        if (state.cancelled) throw new ColonyError('cancelled', 'the stream was closed by its reader');
        yield encoder.encode(JSON.stringify(chunk));
      }
      // As ChunkReader does: a stream cancelled before its end throws.
      if (state.cancelled) throw new ColonyError('cancelled', 'the stream was closed by its reader');
    },
  };
}

/** Serves one SSE response from `chunks` on a real port; resolves the outcome when the response is done. */
async function serve(chunks: ChunkSource, options: { keepAliveMs?: number; closing?: AbortSignal } = {}): Promise<{ url: string; outcome: Promise<SseOutcome> }> {
  let resolveOutcome: (outcome: SseOutcome) => void = () => undefined;
  const outcome = new Promise<SseOutcome>((resolve) => (resolveOutcome = resolve));
  const server = createServer((_request, res) => {
    void writeEventStream(res, chunks, { headers: { 'x-colony-call-id': 'c-1' }, closing: options.closing ?? new AbortController().signal, keepAliveMs: options.keepAliveMs }).then(
      resolveOutcome,
    );
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, outcome };
}

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('the gateway writing a stream as Server-Sent Events, over real HTTP', () => {
  it('writes each chunk as a data event and ends with event: end, with the headers it was given', async () => {
    const { url, outcome } = await serve(
      source(async function* () {
        yield { step: 1 };
        yield 'two';
      }),
    );
    const response = await fetch(url);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('x-colony-call-id')).toBe('c-1');
    expect(await response.text()).toBe('data: {"step":1}\n\ndata: "two"\n\nevent: end\ndata: {"chunks":2}\n\n');
    expect(await outcome).toEqual({ chunks: 2, status: 'ok' });
  });

  it('ends with event: error carrying the error as the gateway answers errors', async () => {
    const { url, outcome } = await serve(
      source(async function* () {
        yield 1;
        throw new ColonyError('method_failed', 'streamer.x on k failed: boom');
      }),
    );
    expect(await (await fetch(url)).text()).toBe('data: 1\n\nevent: error\ndata: {"error":{"code":"method_failed","message":"streamer.x on k failed: boom"}}\n\n');
    expect(await outcome).toEqual({ chunks: 1, status: 'method_failed' });
  });

  it('keeps a quiet stream open with comments, which SSE readers skip', async () => {
    const { url } = await serve(
      source(async function* () {
        yield 1;
        await sleep(300);
        yield 2;
      }),
      { keepAliveMs: 50 },
    );
    const text = await (await fetch(url)).text();
    expect(text).toMatch(/^data: 1\n\n(: keep-alive\n\n)+data: 2\n\nevent: end\ndata: \{"chunks":2\}\n\n$/);
  });

  it('cancels the stream when the client disconnects', async () => {
    const chunks = source(async function* (cancelled) {
      for (let i = 1; !cancelled(); i += 1) {
        yield i;
        await sleep(20);
      }
    });
    const { url, outcome } = await serve(chunks);
    const abort = new AbortController();
    const response = await fetch(url, { signal: abort.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    abort.abort();
    expect(await outcome).toMatchObject({ status: 'cancelled' });
    expect(chunks.cancelled).toBe('the HTTP client disconnected');
  });

  it('ends its streams with a retryable error when the gateway closes', async () => {
    const closing = new AbortController();
    const chunks = source(async function* (cancelled) {
      for (let i = 1; !cancelled(); i += 1) {
        yield i;
        await sleep(20);
      }
    });
    const { url, outcome } = await serve(chunks, { closing: closing.signal });
    const text = fetch(url).then((response) => response.text());
    await sleep(100);
    closing.abort();
    expect(await text).toMatch(
      /event: error\ndata: \{"error":\{"code":"unavailable","message":"the gateway is shutting down: the stream ended early and its method was told to stop; call again","retryAfterSeconds":1\}\}\n\n$/,
    );
    expect((await outcome).status).toBe('unavailable');
    expect(chunks.cancelled).toBe('the gateway is shutting down');
  });

  it('waits for a slow client without piling up listeners (no MaxListenersExceededWarning)', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const big = 'z'.repeat(256 * 1024);
      const { url, outcome } = await serve(
        source(async function* () {
          for (let i = 0; i < 100; i += 1) yield big;
        }),
      );
      const reader = ((await fetch(url)).body as ReadableStream<Uint8Array>).getReader();
      let bytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        if (bytes < 4 * 1024 * 1024) await sleep(5);
      }
      expect(await outcome).toEqual({ chunks: 100, status: 'ok' });
      await sleep(50);
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
