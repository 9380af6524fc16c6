import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallRequest, CallResult } from '../../agent-runtime/client/client.ts';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import type { LogLine } from '../../agent-runtime/observability/log.ts';
import { standInGateway } from '../helpers/stand-in-gateway.ts';

/**
 * The gateway's answers to requests that go wrong below its routes — in
 * Node's HTTP parser, in the router, while it closes — over real sockets.
 * Every one must be `{"error": {"code", "message"}}`. No NATS: the gateway's
 * client is a stand-in, since none of these requests reaches a pod.
 */

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits what a socket received into HTTP/1.1 responses (bodies by content-length). */
function parseResponses(raw: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`an incomplete response: ${JSON.stringify(rest.slice(0, 200))}`);
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const bodyBytes = Buffer.from(rest.slice(end + 4)).subarray(0, length);
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body: bodyBytes.toString() });
    rest = Buffer.from(rest.slice(end + 4)).subarray(length).toString();
  }
  return responses;
}

/** Everything the gateway wrote on one connection until it closed it. */
function readUntilClosed(socket: Socket): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        resolve(parseResponses(Buffer.concat(chunks).toString()));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/** Writes `text` on a new connection and reads what the gateway answers. */
async function exchange(port: number, text: string): Promise<RawResponse[]> {
  const socket = connect(port, '127.0.0.1');
  const responses = readUntilClosed(socket);
  socket.end(text);
  return responses;
}

function expectColonyError(response: RawResponse, status: number, code: string, messagePart: string): void {
  expect(response.status, response.body).toBe(status);
  expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
  const body = JSON.parse(response.body) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  // retryAfterSeconds is the one optional field of the shape (503, 429).
  expect(Object.keys(body.error).filter((key) => key !== 'retryAfterSeconds')).toEqual(['code', 'message']);
  expect(body.error.code).toBe(code);
  expect(body.error.message).toContain(messagePart);
}

describe('the gateway over real HTTP, below and around its routes', () => {
  let app: FastifyInstance | undefined;
  /** What every gateway of this suite logged, kept across its tests (the last one reads them all). */
  const lines: LogLine[] = [];
  /** Calls to the key `slow` wait until this is called. */
  let releaseSlow: (() => void) | undefined;
  let slowStarted: Promise<void> = Promise.resolve();

  async function start(): Promise<{ port: number; url: string }> {
    let markStarted: () => void = () => undefined;
    slowStarted = new Promise((resolve) => {
      markStarted = resolve;
    });
    const call = async (call: CallRequest): Promise<CallResult> => {
      if (call.key === 'slow') {
        markStarted();
        await new Promise<void>((resolve) => {
          releaseSlow = resolve;
        });
      }
      return { data: new TextEncoder().encode('"ok"'), attempts: 1, waitedMs: 0 };
    };
    app = standInGateway(call, { log: createLogger({ level: 'debug', sink: (line) => lines.push(line) }) }).app;
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    return { port, url: `http://127.0.0.1:${port}` };
  }

  afterEach(async () => {
    releaseSlow?.();
    await app?.close();
    app = undefined;
  });

  it('answers 405 with Allow for a method the path does not take, for any method Node accepts', async () => {
    const { port, url } = await start();
    const wrong = await fetch(`${url}/v1/agents/counter/alice/get`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(await wrong.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
    for (const method of ['PURGE', 'PROPFIND', 'QUERY']) {
      const [response] = await exchange(port, `${method} /healthz HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n`);
      expectColonyError(response!, 405, 'method_not_allowed', `${method} is not allowed on "/healthz"`);
      expect(response!.headers.allow).toBe('GET, HEAD');
    }
    const [unknownPath] = await exchange(port, 'PURGE /nowhere HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n');
    expectColonyError(unknownPath!, 404, 'not_found', 'there is no route PURGE "/nowhere"');
  });

  it('answers 431 headers_too_large when the headers are over 16 KiB', async () => {
    const { port } = await start();
    const response = await new Promise<RawResponse>((resolve, reject) => {
      const outgoing = request({ host: '127.0.0.1', port, path: '/healthz', headers: { 'x-big': 'a'.repeat(20 * 1024) } }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(incoming.headers)) headers[name] = String(value);
          resolve({ status: incoming.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString() });
        });
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
    expectColonyError(response, 431, 'headers_too_large', '16384 bytes');
    expect(response.headers.connection).toBe('close');
  });

  it('answers 400 invalid_argument for a request that is not valid HTTP/1.1, and keeps serving', async () => {
    const { port, url } = await start();
    const [badHeader] = await exchange(port, 'GET /healthz HTTP/1.1\r\nHost: gateway\r\nNot a header\r\n\r\n');
    expectColonyError(badHeader!, 400, 'invalid_argument', 'is not valid HTTP/1.1');
    const [badMethod] = await exchange(port, 'FETCH /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n');
    expectColonyError(badMethod!, 400, 'invalid_argument', 'is not valid HTTP/1.1');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('answers 400 for an HTTP/1.1 request without Host, and for an Expect it cannot meet', async () => {
    const { port } = await start();
    const [noHost] = await exchange(port, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
    expectColonyError(noHost!, 400, 'invalid_argument', 'Host');
    const [expectation] = await exchange(port, 'GET /healthz HTTP/1.1\r\nHost: gateway\r\nExpect: tea\r\nConnection: close\r\n\r\n');
    expectColonyError(expectation!, 400, 'invalid_argument', 'Expect');
    // 100-continue is the expectation HTTP clients send, and it works.
    const continued = await exchange(
      port,
      'POST /v1/agents/counter/alice/get HTTP/1.1\r\nHost: gateway\r\nExpect: 100-continue\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    );
    expect(continued.map((response) => response.status)).toEqual([100, 200]);
  });

  it('answers 413 payload_too_large for a chunk extension over the limit', async () => {
    const { port } = await start();
    const [response] = await exchange(
      port,
      'POST /v1/agents/counter/alice/get HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n' +
        `2;${'x'.repeat(20 * 1024)}\r\n{}\r\n0\r\n\r\n`,
    );
    expectColonyError(response!, 413, 'payload_too_large', 'chunk extension');
  });

  it('answers a call that arrives while it closes with 503 unavailable and Retry-After, and finishes the one in flight', async () => {
    const { port } = await start();
    const socket = connect(port, '127.0.0.1');
    const responses = readUntilClosed(socket);
    socket.write('POST /v1/agents/counter/slow/get HTTP/1.1\r\nHost: gateway\r\n\r\n');
    await slowStarted;
    const closed = app!.close();
    await expect.poll(() => app!.server.listening).toBe(false);
    // The second request reaches the gateway before the first is answered.
    const secondArrived = new Promise<void>((resolve) => {
      app!.server.on('request', (request: IncomingMessage) => {
        if (request.url === '/v1/agents/counter/alice/get') resolve();
      });
    });
    socket.write('POST /v1/agents/counter/alice/get HTTP/1.1\r\nHost: gateway\r\n\r\n');
    await secondArrived;
    releaseSlow?.();
    const [first, second] = await responses;
    expect(first?.status).toBe(200);
    expect(first?.body).toBe('"ok"');
    expectColonyError(second!, 503, 'unavailable', 'shutting down');
    expect(second!.headers['retry-after']).toBe('1');
    expect(second!.headers.connection).toBe('close');
    await closed;
  });

  it('keeps /healthz, /readyz and /metrics working, and logged none of the above as an error or a warning', async () => {
    const { url } = await start();
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${url}${path}`)).status, path).toBe(200);
    expect(lines.filter((line) => line.level === 'error' || line.level === 'warn')).toEqual([]);
  });
});
