import { describe, expect, it } from 'vitest';
import type { Subscription } from '@nats-io/nats-core';
import { DEFAULT_CALL_TIMEOUT_MS } from '../../agent-runtime/protocol/limits.ts';
import { partitionOf } from '../../agent-runtime/protocol/partition.ts';
import { bodyLimitsFor } from '../../gateway/app.ts';
import { COUNTER_PARTITIONS, serveAgent, useGatewayOverNats } from '../helpers/gateway-over-nats.ts';
import type { ErrorBody, Seen } from '../helpers/gateway-over-nats.ts';

/** Calls through the gateway that reach a pod over a real nats-server: what it sends the pod and what it answers. */

describe('gateway over a real nats-server', () => {
  const rig = useGatewayOverNats();
  const { post } = rig;

  describe('successful calls', () => {
    it('answers 200 with the pod reply bytes as they were, not re-serialised', async () => {
      const body = '{ "by" : [1, 2.50] ,"note":"héllo" }';
      const response = await post('/v1/agents/counter/alice/echo', body);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.body).toBe(body);
      expect(response.headers['x-colony-call-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(response.headers['x-colony-wait-ms']).toBeUndefined();
    });

    it('answers 204 when the method returns nothing', async () => {
      const response = await post('/v1/agents/counter/alice/nothing');
      expect(response.statusCode).toBe(204);
      expect(response.body).toBe('');
    });

    it('sends the call headers: call id, chain = call id, depth 0, deadline from X-Colony-Timeout, traceparent', async () => {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const before = Date.now();
      const response = await post('/v1/agents/counter/alice/inspect', undefined, { 'x-colony-timeout': '5s', traceparent });
      expect(response.statusCode).toBe(200);
      const seen = response.json<Seen>();
      expect(seen.callId).toBe(response.headers['x-colony-call-id']);
      expect(seen.chain).toBe(seen.callId);
      expect(seen.depth).toBe(0);
      expect(seen.traceparent).toBe(traceparent);
      expect(seen.deadline).toBeGreaterThanOrEqual(before + 5_000);
      expect(seen.deadline).toBeLessThanOrEqual(Date.now() + 5_000);
      expect(seen.inputBytes).toBe(0);
    });

    it('gives a call the default timeout when X-Colony-Timeout is absent', async () => {
      const before = Date.now();
      const seen = (await post('/v1/agents/counter/alice/inspect')).json<Seen>();
      expect(seen.deadline).toBeGreaterThanOrEqual(before + DEFAULT_CALL_TIMEOUT_MS);
      expect(seen.deadline).toBeLessThanOrEqual(Date.now() + DEFAULT_CALL_TIMEOUT_MS);
    });

    it('uses the Idempotency-Key as the call id and echoes it', async () => {
      const response = await post('/v1/agents/counter/alice/inspect', '{}', { 'idempotency-key': 'order-42' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-colony-call-id']).toBe('order-42');
      expect(response.json<Seen>()).toMatchObject({ callId: 'order-42', chain: 'order-42', inputBytes: 2 });
    });

    it.each([
      ['a slash', 'orders/2024/17'],
      ['spaces', 'Ada Lovelace'],
      ['non-ASCII', 'été ☃ 東京'],
      ['a percent sign and a question mark', '100%?'],
    ])('delivers a percent-encoded key with %s to the partition it hashes to', async (_what, key) => {
      const response = await post(`/v1/agents/counter/${encodeURIComponent(key)}/inspect`);
      expect(response.statusCode).toBe(200);
      const seen = response.json<Seen>();
      expect(seen.key).toBe(key);
      expect(seen.partition).toBe(partitionOf(key, COUNTER_PARTITIONS));
    });

    it('holds a call until a pod serves its partition, and says how long it waited', async () => {
      // The scenario needs a pod that appears while the call waits: it subscribes 100 ms after the call starts.
      let late: Subscription[] = [];
      const pending = post('/v1/agents/late/k/inspect', undefined, { 'x-colony-timeout': '10s' });
      const timer = setTimeout(() => {
        late = serveAgent(rig.pod, 'late', 1);
      }, 100);
      try {
        const response = await pending;
        expect(response.statusCode).toBe(200);
        expect(response.json<Seen>().key).toBe('k');
        expect(Number(response.headers['x-colony-wait-ms'])).toBeGreaterThanOrEqual(90);
      } finally {
        clearTimeout(timer);
        for (const subscription of late) subscription.unsubscribe();
      }
    });

    it('accepts a key of exactly 256 bytes', async () => {
      const key = 'é'.repeat(128);
      const response = await post(`/v1/agents/counter/${encodeURIComponent(key)}/inspect`);
      expect(response.statusCode).toBe(200);
      expect(response.json<Seen>().key).toBe(key);
    });

    it('forwards a method of an agent whose API is not published and lets the pod answer', async () => {
      expect((await post('/v1/agents/legacy/k/anything')).statusCode).toBe(204);
      const unknown = await post('/v1/agents/legacy/k/whatever');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json<ErrorBody>().error).toEqual({ code: 'not_found', message: 'agent "legacy" has no method "whatever"' });
    });

    it('carries a body just under the NATS payload limit to the pod and back', async () => {
      const { bodyLimitBytes } = bodyLimitsFor(rig.deps.maxPayloadBytes);
      const body = `"${'a'.repeat(bodyLimitBytes - 2)}"`;
      const response = await post('/v1/agents/counter/big/echo', body);
      expect(response.statusCode).toBe(200);
      expect(response.rawPayload.equals(Buffer.from(body))).toBe(true);
    });
  });
});
