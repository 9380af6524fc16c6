import { describe, expect, it } from 'vitest';
import { NS, useGatewayOverNats } from '../helpers/gateway-over-nats.ts';
import type { ErrorBody, Seen } from '../helpers/gateway-over-nats.ts';

/** The gateway's error answers to calls, over a real nats-server: each status, code and message. */

describe('gateway over a real nats-server', () => {
  const rig = useGatewayOverNats();
  const { post } = rig;

  describe('errors', () => {
    async function expectError(
      responsePromise: ReturnType<typeof post>,
      status: number,
      code: string,
      messagePart: string | RegExp,
    ): Promise<Awaited<ReturnType<typeof post>>> {
      const response = await responsePromise;
      expect(response.statusCode).toBe(status);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      const { error } = response.json<ErrorBody>();
      expect(error.code).toBe(code);
      if (typeof messagePart === 'string') expect(error.message).toContain(messagePart);
      else expect(error.message).toMatch(messagePart);
      return response;
    }

    it('400 for a body that is not JSON, saying where it fails', async () => {
      await expectError(post('/v1/agents/counter/alice/echo', '{"by": [1, 2'), 400, 'invalid_argument', /^the request body is not valid JSON: .*position 12/);
    });

    it('400 for a body sent without content-type: application/json', async () => {
      const response = await post('/v1/agents/counter/alice/echo', '{"by":1}', { 'content-type': 'text/plain' });
      expect(response.statusCode).toBe(400);
      expect(response.json<ErrorBody>().error.message).toContain('content-type: application/json');
    });

    it('treats an empty body as no input, whatever its content-type', async () => {
      const response = await post('/v1/agents/counter/alice/inspect', '', { 'content-type': 'application/x-www-form-urlencoded' });
      expect(response.statusCode).toBe(200);
      expect(response.json<Seen>().inputBytes).toBe(0);
    });

    it('400 for a key longer than 256 bytes', async () => {
      await expectError(post(`/v1/agents/counter/${'k'.repeat(257)}/echo`), 400, 'invalid_argument', '257 bytes');
      await expectError(post(`/v1/agents/counter/${encodeURIComponent('é'.repeat(129))}/echo`), 400, 'invalid_argument', '258 bytes');
    });

    it('400 for an empty key', async () => {
      await expectError(post('/v1/agents/counter//echo'), 400, 'invalid_argument', 'the instance key is empty');
    });

    it('400 for malformed percent-encoding in the URL', async () => {
      await expectError(post('/v1/agents/counter/a%E0%A4%A/echo'), 400, 'invalid_argument', 'percent-encoded');
    });

    it('400 naming X-Colony-Timeout when it is not a duration', async () => {
      await expectError(post('/v1/agents/counter/alice/echo', undefined, { 'x-colony-timeout': 'soon' }), 400, 'invalid_argument', 'X-Colony-Timeout');
      await expectError(post('/v1/agents/counter/alice/echo', undefined, { 'x-colony-timeout': '1h' }), 400, 'invalid_argument', 'X-Colony-Timeout');
    });

    it('404 for an unknown agent, listing the agents', async () => {
      await expectError(
        post('/v1/agents/nope/alice/echo'),
        404,
        'not_found',
        `there is no agent named "nope" in namespace "${NS}"; the agents are: counter, late, legacy, sleepy`,
      );
    });

    it('404 for a method the agent does not publish, naming its methods', async () => {
      await expectError(
        post('/v1/agents/counter/alice/explode'),
        404,
        'not_found',
        'agent "counter" has no method "explode"; its methods are: echo, inspect, nothing, fail, busy, hang, slow, increment',
      );
    });

    it('413 for a body over the NATS payload limit', async () => {
      const body = `"${'a'.repeat(rig.deps.maxPayloadBytes)}"`;
      await expectError(post('/v1/agents/counter/alice/echo', body), 413, 'payload_too_large', 'max_payload');
    });

    it('500 when the method throws', async () => {
      await expectError(post('/v1/agents/counter/alice/fail'), 500, 'method_failed', 'the counter is on fire');
    });

    it('503 with Retry-After when no pod serves the partition before the deadline', async () => {
      const started = Date.now();
      const response = await expectError(
        post('/v1/agents/sleepy/alice/wake', undefined, { 'x-colony-timeout': '150ms' }),
        503,
        'unavailable',
        'no pod of agent "sleepy"',
      );
      expect(response.headers['retry-after']).toBe('1');
      expect(response.headers['x-colony-call-id']).toBeDefined();
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('504 when the pod does not answer before the deadline', async () => {
      const response = await expectError(
        post('/v1/agents/counter/alice/hang', undefined, { 'x-colony-timeout': '200ms' }),
        504,
        'deadline_exceeded',
        'did not answer before its deadline',
      );
      expect(response.headers['retry-after']).toBeUndefined();
    });

    it('429 with the Retry-After the pod asked for', async () => {
      const response = await expectError(
        post('/v1/agents/counter/alice/busy', undefined, { 'x-colony-timeout': '500ms' }),
        429,
        'resource_exhausted',
        'too many calls queued',
      );
      expect(response.headers['retry-after']).toBe('7');
    });

    it('404 in the same shape for routes that do not exist, 405 for a method a route does not take', async () => {
      const missing = await rig.app.inject({ method: 'GET', url: '/v2/whatever' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json<ErrorBody>().error.code).toBe('not_found');
      expect(missing.json<ErrorBody>().error.message).toContain('POST /v1/agents/{agent}/{key}/{method}');
      const wrongVerb = await rig.app.inject({ method: 'GET', url: '/v1/agents/counter/alice/echo' });
      expect(wrongVerb.statusCode).toBe(405);
      expect(wrongVerb.headers.allow).toBe('POST');
      expect(wrongVerb.json<ErrorBody>().error.code).toBe('method_not_allowed');
    });

    it('keeps serving after bad requests', async () => {
      expect((await post('/v1/agents/counter/alice/echo', '{"ok":true}')).statusCode).toBe(200);
      expect(rig.logLines.filter((line) => line.level === 'error')).toEqual([]);
    });
  });
});
