import { describe, expect, it } from 'vitest';
import type { CallRequest } from '../agent-runtime/client/client.ts';
import { ColonyError } from '../agent-runtime/protocol/errors.ts';
import { standInGateway } from '../test/helpers/stand-in-gateway.ts';
import { ApiTokens } from './auth.ts';

const DURATION = 'colony_gateway_request_duration_seconds';

describe('buildGateway', () => {
  it('builds the call from the request: deadline from the injected clock, call id, chain and depth', async () => {
    const seen: CallRequest[] = [];
    const { app } = standInGateway(async (request) => {
      seen.push(request);
      return { data: new TextEncoder().encode('7'), attempts: 1, waitedMs: 0 };
    });
    const response = await app.inject({ method: 'POST', url: '/v1/agents/counter/alice/get', headers: { 'x-colony-timeout': '2s' } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('7');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      agent: 'counter',
      key: 'alice',
      method: 'get',
      deadline: 1_002_000,
      callId: 'call-1',
      chain: 'call-1',
      depth: 0,
      traceparent: undefined,
    });
    expect(seen[0]?.input.byteLength).toBe(0);
    await app.close();
  });

  it('answers a method that does not stream as always when the caller accepts text/event-stream', async () => {
    const { app } = standInGateway(async () => ({ data: new TextEncoder().encode('{"count":7}'), attempts: 2, waitedMs: 12 }));
    const response = await app.inject({ method: 'POST', url: '/v1/agents/counter/alice/get', headers: { accept: 'text/event-stream' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['x-colony-wait-ms']).toBe('12');
    expect(response.json()).toEqual({ count: 7 });
    await app.close();
  });

  it('says how long the call waited for placement', async () => {
    const { app } = standInGateway(async () => ({ data: new Uint8Array(0), attempts: 4, waitedMs: 41.6 }));
    const response = await app.inject({ method: 'POST', url: '/v1/agents/counter/alice/get' });
    expect(response.statusCode).toBe(204);
    expect(response.headers['x-colony-wait-ms']).toBe('42');
    await app.close();
  });

  it('answers 500 internal for an unexpected error, logs its stack, and keeps serving', async () => {
    let fail = true;
    const { app, lines } = standInGateway(async () => {
      if (fail) throw new TypeError('something is undefined');
      return { data: new TextEncoder().encode('1'), attempts: 1, waitedMs: 0 };
    });
    const response = await app.inject({ method: 'POST', url: '/v1/agents/counter/alice/get' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      error: { code: 'internal', message: "the gateway failed while handling this request; its logs have the details" },
    });
    expect(response.headers['x-colony-call-id']).toBe('call-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', error: 'something is undefined', url: '/v1/agents/counter/alice/get' });
    expect(lines[0]?.stack).toContain('TypeError');
    fail = false;
    expect((await app.inject({ method: 'POST', url: '/v1/agents/counter/alice/get' })).statusCode).toBe(200);
    await app.close();
  });

  it('with API tokens, answers 401 on /v1 without a valid bearer token, before running anything; health stays open', async () => {
    let calls = 0;
    const token = 'a-token-of-24-characters';
    const { app } = standInGateway(async () => {
      calls += 1;
      return { data: new TextEncoder().encode('1'), attempts: 1, waitedMs: 0 };
    }, { apiTokens: new ApiTokens(['an-older-token-still-valid', token]) });
    for (const authorization of [undefined, 'Bearer wrong-token-of-some-length', `Basic ${token}`, `Bearer ${token}x`]) {
      const headers = authorization === undefined ? {} : { authorization };
      for (const request of [
        { method: 'POST' as const, url: '/v1/agents/counter/alice/get', payload: '{"big":"body"}' },
        { method: 'GET' as const, url: '/v1/agents' },
        { method: 'GET' as const, url: '/v1/agents/counter' },
        { method: 'GET' as const, url: '/v1/agents/counter/status' },
      ]) {
        const response = await app.inject({ ...request, headers });
        expect(response.statusCode, `${request.method} ${request.url} with ${authorization}`).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="colony"');
        expect(response.json()).toMatchObject({ error: { code: 'unauthenticated' } });
      }
    }
    expect(calls).toBe(0);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    for (const authorization of [`Bearer ${token}`, `bearer  ${token} `, 'Bearer an-older-token-still-valid']) {
      const response = await app.inject({ method: 'POST', url: '/v1/agents/counter/alice/get', headers: { authorization } });
      expect(response.statusCode, authorization).toBe(200);
    }
    expect((await app.inject({ method: 'GET', url: '/v1/agents', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    expect(calls).toBe(3);
    await app.close();
  });

  it('records how long each call took, from receiving the request to answering it, failed calls included', async () => {
    let clockMs = 10_000;
    const { app, metricsRegistry } = standInGateway(
      async (request) => {
        clockMs += request.key === 'slow' ? 1_500 : 40;
        if (request.key === 'late') throw new ColonyError('deadline_exceeded', 'the method did not answer before its deadline');
        return { data: new TextEncoder().encode('1'), attempts: 1, waitedMs: 0 };
      },
      { monotonicNow: () => clockMs },
    );
    expect((await app.inject({ method: 'POST', url: '/v1/agents/counter/slow/get' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/v1/agents/counter/late/get' })).statusCode).toBe(504);
    const text = await metricsRegistry.metrics();
    const ok = 'agent="counter",method="get",status="200"';
    expect(text).toContain(`${DURATION}_sum{${ok}} 1.5\n`);
    expect(text).toContain(`${DURATION}_bucket{le="1",${ok}} 0\n`);
    expect(text).toContain(`${DURATION}_bucket{le="2.5",${ok}} 1\n`);
    expect(text).toContain(`${DURATION}_sum{agent="counter",method="get",status="504"} 0.04\n`);
    await app.close();
  });

  it('counts the time spent reading a body it then refuses', async () => {
    // Each reading of the clock moves it 250 ms on: one at arrival, one when the 413 is recorded.
    let clockMs = 0;
    const { app, metricsRegistry } = standInGateway(async () => ({ data: new Uint8Array(0), attempts: 1, waitedMs: 0 }), {
      monotonicNow: () => (clockMs += 250),
    });
    const response = await app.inject({
      method: 'POST',
      url: '/v1/agents/counter/alice/get',
      headers: { 'content-type': 'application/json' },
      payload: `"${'a'.repeat(1024 * 1024)}"`,
    });
    expect(response.statusCode).toBe(413);
    expect(await metricsRegistry.metrics()).toContain(`${DURATION}_sum{agent="counter",method="get",status="413"} 0.25\n`);
    await app.close();
  });

  it('answers 405 with an Allow header, in the error shape, for a method a path does not take', async () => {
    const { app } = standInGateway(async () => ({ data: new TextEncoder().encode('1'), attempts: 1, waitedMs: 0 }));
    const cases = [
      ...(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const).map((method) => ({ method, url: '/v1/agents/counter/alice/get', allow: 'POST' })),
      { method: 'POST' as const, url: '/v1/agents', allow: 'GET, HEAD' },
      { method: 'DELETE' as const, url: '/v1/agents/counter', allow: 'GET, HEAD' },
      { method: 'PUT' as const, url: '/v1/agents/counter/status', allow: 'GET, HEAD' },
      { method: 'POST' as const, url: '/healthz', allow: 'GET, HEAD' },
      { method: 'POST' as const, url: '/readyz', allow: 'GET, HEAD' },
      { method: 'POST' as const, url: '/metrics', allow: 'GET, HEAD' },
    ];
    for (const { method, url, allow } of cases) {
      const response = await app.inject({ method, url, payload: method === 'GET' ? undefined : '{"a":1}' });
      expect(response.statusCode, `${method} ${url}`).toBe(405);
      expect(response.headers.allow).toBe(allow);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.json()).toEqual({
        error: {
          code: 'method_not_allowed',
          message: `${method} is not allowed on "${url}", which takes ${allow.replace(', ', ' and ')}; send the request with ${allow.split(', ')[0]}`,
        },
      });
    }
    const head = await app.inject({ method: 'HEAD', url: '/v1/agents/counter/alice/get' });
    expect(head.statusCode).toBe(405);
    expect(head.headers.allow).toBe('POST');
    expect(head.body).toBe('');
    // The allowed methods still work, and a path that does not exist is still a 404.
    expect((await app.inject({ method: 'POST', url: '/v1/agents/counter/alice/get' })).statusCode).toBe(200);
    for (const url of ['/healthz', '/readyz', '/metrics', '/v1/agents', '/v1/agents/counter', '/v1/agents/counter/status']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
      expect((await app.inject({ method: 'HEAD', url })).statusCode, `HEAD ${url}`).toBe(200);
    }
    expect((await app.inject({ method: 'GET', url: '/v2/whatever' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'PUT', url: '/v1/agents/counter/alice/get/more' })).statusCode).toBe(404);
    await app.close();
  });
});
