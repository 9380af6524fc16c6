import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallResult } from '../../agent-runtime/client/client.ts';
import type { RegistryAgent } from '../../agent-runtime/client/registry-view.ts';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import type { LogLine } from '../../agent-runtime/observability/log.ts';
import { buildGateway } from '../../gateway/app.ts';

/**
 * The gateway's answers to requests that go wrong below its routes — in
 * Node's HTTP parser, in the router, while it closes — over real sockets.
 * Every one must be `{"error": {"code", "message"}}`. No NATS: the gateway's
 * client is a stand-in, since none of these requests reaches a pod.
 */

const counter: RegistryAgent = {
  spec: { namespace: 'default', name: 'counter', partitions: 8, minReplicas: 0, maxReplicas: 1, updatedAt: 0 },
  api: { namespace: 'default', name: 'counter', methods: { get: {} }, updatedAt: 0 },
};

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
  expect(Object.keys(body.error)).toEqual(['code', 'message']);
  expect(body.error.code).toBe(code);
  expect(body.error.message).toContain(messagePart);
}

describe('the gateway over real HTTP, below and around its routes', () => {
  let app: FastifyInstance | undefined;
  let lines: LogLine[] = [];

  async function start(): Promise<{ port: number; url: string }> {
    lines = [];
    const call = async (): Promise<CallResult> => ({ data: new TextEncoder().encode('"ok"'), attempts: 1, waitedMs: 0 });
    app = buildGateway({
      client: { call, partitionFor: () => 0 },
      registry: { get: (name) => (name === 'counter' ? counter : undefined), list: () => [counter] },
      namespace: 'default',
      maxPayloadBytes: 1024 * 1024,
      log: createLogger({ level: 'debug', sink: (line) => lines.push(line) }),
      metricsRegistry: new Registry(),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    return { port, url: `http://127.0.0.1:${port}` };
  }

  afterEach(async () => {
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

  it('keeps /healthz, /readyz and /metrics working, and logs none of the above as an error', async () => {
    const { url } = await start();
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${url}${path}`)).status, path).toBe(200);
    expect(lines.filter((line) => line.level === 'error' || line.level === 'warn')).toEqual([]);
  });
});
