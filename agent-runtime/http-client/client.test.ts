import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineAgent } from '../sdk/agent.ts';
import { defineWorkflow } from '../sdk/workflow.ts';
import { createClient } from './client.ts';
import { ColonyHttpError } from './errors.ts';

/** Exported for its type, which the client reads. */
export const shop = defineAgent({
  state: () => ({ items: [] as string[] }),
  methods: {
    add(ctx, input: { item: string }) {
      ctx.state.items.push(input.item);
      return { items: ctx.state.items.length };
    },
    list: (ctx) => ctx.state.items,
    clear(ctx) {
      ctx.state.items = [];
    },
    async *replay(ctx) {
      for (const item of ctx.state.items) yield { item };
    },
  },
});

export const checkout = defineWorkflow({
  async run(_ctx, input: { cart: string }): Promise<{ paid: number }> {
    return { paid: input.cart.length };
  },
});

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A client whose fetch records each request and answers with `respond`'s response. */
function clientWith(respond: (sent: Sent) => Response, token?: string) {
  const sent: Sent[] = [];
  const fetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = { url: String(url), method: init?.method ?? 'GET', headers: init?.headers as Record<string, string>, body: init?.body as string | undefined };
    sent.push(request);
    return respond(request);
  };
  return { sent, colony: createClient({ url: 'http://gateway.test:8080/', token, fetch }) };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const sse = (text: string): Response => new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'x-colony-call-id': 'c-1' } });

describe('createClient', () => {
  it('posts the input as JSON to the method, with the token and the call options as headers', async () => {
    const { sent, colony } = clientWith(() => json(200, { items: 1 }), 'secret-token-0123456789');
    const result = await colony.agent<typeof shop>('shop', 'tenant/7', { timeoutMs: 1_500.2, idempotencyKey: 'k-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }).add({ item: 'lamp' });
    expect(result).toEqual({ items: 1 });
    expect(sent).toEqual([
      {
        url: 'http://gateway.test:8080/v1/agents/shop/tenant%2F7/add',
        method: 'POST',
        headers: {
          authorization: 'Bearer secret-token-0123456789',
          'x-colony-timeout': '1501',
          'idempotency-key': 'k-1',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          'content-type': 'application/json',
        },
        body: '{"item":"lamp"}',
      },
    ]);
  });

  it('sends no body for no input, and resolves a 204 as undefined', async () => {
    const { sent, colony } = clientWith(() => new Response(null, { status: 204 }));
    expect(await colony.agent<typeof shop>('shop', 'a').clear()).toBeUndefined();
    expect(sent[0]?.body).toBeUndefined();
    expect(sent[0]?.headers).toEqual({});
  });

  it("rejects with the gateway's error: code, status, message, Retry-After and the call id", async () => {
    const { colony } = clientWith(() =>
      json(503, { error: { code: 'unavailable', message: 'no pod served partition 3 in time', retryAfterSeconds: 2 } }, { 'retry-after': '2', 'x-colony-call-id': 'call-9' }),
    );
    const error = await colony.agent<typeof shop>('shop', 'a').list().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ColonyHttpError);
    expect(error).toMatchObject({ code: 'unavailable', status: 503, message: 'no pod served partition 3 in time', retryAfterSeconds: 2, callId: 'call-9', retryable: true });
  });

  it("maps an answer that is not Colony's by its status, and an unreachable gateway to unavailable with status 0", async () => {
    const { colony } = clientWith(() => new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    await expect(colony.agent<typeof shop>('shop', 'a').list()).rejects.toMatchObject({ code: 'unavailable', status: 502, message: expect.stringContaining('answered 502 Bad Gateway without a Colony error') });
    const down = createClient({
      url: 'http://gateway.test:8080',
      fetch: async () => {
        throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
      },
    });
    await expect(down.agent<typeof shop>('shop', 'a').list()).rejects.toMatchObject({ code: 'unavailable', status: 0, message: expect.stringContaining('could not reach the gateway at http://gateway.test:8080 (Error: connect ECONNREFUSED)') });
  });

  it('rejects with the signal\'s reason when the caller aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gave up'));
    const colony = createClient({ url: 'http://gateway.test', fetch: async (_url, init) => Promise.reject(init?.signal?.reason) });
    await expect(colony.agent<typeof shop>('shop', 'a', { signal: controller.signal }).list()).rejects.toThrow('gave up');
  });

  it('reads a streamed reply as Server-Sent Events, chunk by chunk, asking for text/event-stream', async () => {
    const { sent, colony } = clientWith(() => sse('data: {"item":"a"}\n\n: keep-alive\n\ndata: {"item":"b"}\n\nevent: end\ndata: {"chunks":2}\n\n'));
    const chunks = [];
    for await (const chunk of colony.stream<typeof shop>('shop', 'a').replay()) chunks.push(chunk);
    expect(chunks).toEqual([{ item: 'a' }, { item: 'b' }]);
    expect(sent[0]?.headers.accept).toBe('text/event-stream');
  });

  it('rejects a stream with its error event, or when it ends without an end event', async () => {
    const failing = clientWith(() => sse('data: {"item":"a"}\n\nevent: error\ndata: {"error":{"code":"unavailable","message":"the pod drained; call again"}}\n\n'));
    const seen: unknown[] = [];
    const consume = async (stream: AsyncIterable<unknown>): Promise<void> => {
      for await (const chunk of stream) seen.push(chunk);
    };
    await expect(consume(failing.colony.stream<typeof shop>('shop', 'a').replay())).rejects.toMatchObject({ code: 'unavailable', status: 503, message: 'the pod drained; call again', callId: 'c-1' });
    expect(seen).toEqual([{ item: 'a' }]);
    const cut = clientWith(() => sse('data: {"item":"a"}\n\n'));
    await expect(consume(cut.colony.stream<typeof shop>('shop', 'a').replay())).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('ended before its end event') });
  });

  it("yields a method's result as its one chunk when it does not stream", async () => {
    const { colony } = clientWith(() => json(200, ['a']));
    const chunks = [];
    for await (const chunk of colony.stream<typeof shop>('shop', 'a').list()) chunks.push(chunk);
    expect(chunks).toEqual([['a']]);
  });

  it('sends the workflow verbs to their routes', async () => {
    const { sent, colony } = clientWith((request) => json(request.method === 'POST' ? 202 : 200, { id: 'o 1', workflow: 'checkout', status: 'running' }));
    const checkouts = colony.workflow<typeof checkout>('checkout');
    await checkouts.start('o 1', { cart: 'abc' }, { idempotencyKey: 'start-o1' });
    await checkouts.event('o 1', 'paid', { at: 1 });
    await checkouts.terminate('o 1', 'cancelled');
    await checkouts.suspend('o 1');
    await checkouts.resume('o 1');
    await checkouts.wait('o 1', { timeoutMs: 5_000 });
    await checkouts.get('o 1');
    await checkouts.purge('o 1');
    expect(sent.map((request) => `${request.method} ${request.url.slice('http://gateway.test:8080'.length)} ${request.body ?? ''}`.trim())).toEqual([
      'POST /v1/workflows/checkout/o%201 {"cart":"abc"}',
      'POST /v1/workflows/checkout/o%201/events/paid {"at":1}',
      'POST /v1/workflows/checkout/o%201/terminate {"reason":"cancelled"}',
      'POST /v1/workflows/checkout/o%201/suspend',
      'POST /v1/workflows/checkout/o%201/resume',
      'GET /v1/workflows/checkout/o%201?wait=5000',
      'GET /v1/workflows/checkout/o%201',
      'DELETE /v1/workflows/checkout/o%201',
    ]);
    expect(sent[0]?.headers['idempotency-key']).toBe('start-o1');
  });
});

describe('the types of createClient', () => {
  // Checked by tsc (npm run typecheck): a wrong method name or input does not compile. Never called.
  const typeChecks = (colony: ReturnType<typeof createClient>): void => {
    const a = colony.agent<typeof shop>('shop', 'a');
    expectTypeOf(a.add).parameters.toEqualTypeOf<[input: { item: string }]>();
    expectTypeOf(a.add).returns.resolves.toEqualTypeOf<{ items: number }>();
    expectTypeOf(a.list).returns.resolves.toEqualTypeOf<string[]>();
    expectTypeOf(a.replay).returns.resolves.toEqualTypeOf<{ item: string }[]>();
    expectTypeOf(colony.stream<typeof shop>('shop', 'a').replay).returns.toEqualTypeOf<AsyncIterable<{ item: string }>>();
    // @ts-expect-error -- no method "remove"
    void a.remove({ item: 'x' });
    // @ts-expect-error -- item must be a string
    void a.add({ item: 3 });
    // @ts-expect-error -- add takes an input
    void a.add();
    // @ts-expect-error -- list takes none
    void a.list({ item: 'x' });
    const checkouts = colony.workflow<typeof checkout>('checkout');
    expectTypeOf(checkouts.start).parameter(1).toEqualTypeOf<{ cart: string }>();
    expectTypeOf(checkouts.get).returns.resolves.toHaveProperty('output').toEqualTypeOf<{ paid: number } | null>();
    // @ts-expect-error -- cart must be a string
    void checkouts.start('o-1', { cart: 1 });
  };

  it('infers methods, inputs and outputs from the definitions (checked by tsc)', () => {
    expect(typeChecks).toBeTypeOf('function');
  });
});
