import { ColonyHttpError, streamEndError } from './errors.ts';
import { EventStreamParser } from './event-stream.ts';
import { readJson, send } from './transport.ts';
import type { ClientOptions, GatewayRequest, HttpCallOptions } from './transport.ts';

const EVENT_STREAM = 'text/event-stream';

/**
 * A streamed reply (decision 21): its chunks as the method makes them. The
 * call is sent when iteration starts, once per iteration. Leaving the loop
 * early (`break`, a throw) closes the request, so the method's `ctx.signal`
 * aborts and what it did so far is committed if it returns. A failure midway
 * (the method threw, its deadline passed, its pod drained) rejects the next
 * step with a ColonyHttpError, as does a stream cut before its end.
 */
export function replyStream(client: ClientOptions, request: Omit<GatewayRequest, 'accept'>, call: HttpCallOptions): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator]: () => chunksOf(client, request, call),
  };
}

async function* chunksOf(client: ClientOptions, request: Omit<GatewayRequest, 'accept'>, call: HttpCallOptions): AsyncGenerator<unknown, void, undefined> {
  // Ours to abort when the caller stops reading; the caller's signal aborts it too.
  const local = new AbortController();
  const onAbort = (): void => local.abort(call.signal?.reason);
  if (call.signal?.aborted) onAbort();
  call.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const response = await send(client, { ...request, accept: EVENT_STREAM }, { ...call, signal: local.signal });
    const callId = response.headers.get('x-colony-call-id') ?? undefined;
    if (!response.headers.get('content-type')?.startsWith(EVENT_STREAM) || !response.body) {
      // A method that does not stream answers as without the header: its result is the one chunk.
      const result = await readJson(response);
      if (result !== undefined) yield result;
      return;
    }
    yield* eventsOf(response.body, callId);
  } finally {
    call.signal?.removeEventListener('abort', onAbort);
    local.abort();
  }
}

/** The chunks of an SSE body: each `data:` event's JSON, until `event: end`; `event: error` rejects. */
async function* eventsOf(body: ReadableStream<Uint8Array>, callId: string | undefined): AsyncGenerator<unknown, void, undefined> {
  // getReader rather than for-await over the body: Safari's streams are not async iterable.
  const reader = body.getReader();
  const parser = new EventStreamParser();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const event of parser.push(decoder.decode(value, { stream: true }))) {
        if (event.event === 'message') yield JSON.parse(event.data);
        else if (event.event === 'end') return;
        else if (event.event === 'error') throw streamEndError(event.data, callId);
      }
    }
  } finally {
    reader.releaseLock();
  }
  throw new ColonyHttpError('unavailable', 'the stream ended before its end event (the gateway or the connection went away); call again', { callId });
}
