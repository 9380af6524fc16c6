import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { buildGateway } from '../../gateway/app.ts';
import { DURATION_BUCKETS_SECONDS } from '../../gateway/metrics.ts';
import { JSON_HEADERS, SLOW_REPLY_MS, useGatewayOverNats } from '../helpers/gateway-over-nats.ts';

/** The gateway's /metrics: request counts and durations by agent, method and status. */

describe('gateway over a real nats-server', () => {
  const rig = useGatewayOverNats();

  describe('agents, health and metrics', () => {
    it('exports request metrics by agent, method and status, with unknown names bounded', async () => {
      const metricsRegistry = new Registry();
      const fresh = buildGateway({ ...rig.deps, metricsRegistry });
      try {
        const call = (url: string) => fresh.inject({ method: 'POST', url });
        expect((await call('/v1/agents/counter/alice/nothing')).statusCode).toBe(204);
        expect((await call('/v1/agents/counter/alice/nothing')).statusCode).toBe(204);
        expect((await call('/v1/agents/counter/alice/fail')).statusCode).toBe(500);
        expect((await call('/v1/agents/counter/alice/no-such-method')).statusCode).toBe(404);
        expect((await call('/v1/agents/evil-1/k/m1')).statusCode).toBe(404);
        expect((await call('/v1/agents/evil-2/k/m2')).statusCode).toBe(404);
        const tooLarge = await fresh.inject({
          method: 'POST',
          url: '/v1/agents/counter/alice/echo',
          headers: JSON_HEADERS,
          payload: `"${'a'.repeat(rig.deps.maxPayloadBytes)}"`,
        });
        expect(tooLarge.statusCode).toBe(413);
        const response = await fresh.inject({ method: 'GET', url: '/metrics' });
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toContain('text/plain');
        const text = response.body;
        expect(text).toContain('colony_gateway_requests_total{agent="counter",method="nothing",status="204"} 2');
        expect(text).toContain('colony_gateway_requests_total{agent="counter",method="fail",status="500"} 1');
        expect(text).toContain('colony_gateway_requests_total{agent="counter",method="unknown",status="404"} 1');
        expect(text).toContain('colony_gateway_requests_total{agent="unknown",method="unknown",status="404"} 2');
        expect(text).toContain('colony_gateway_requests_total{agent="counter",method="echo",status="413"} 1');
        expect(text).toContain('colony_gateway_request_duration_seconds_count{agent="counter",method="nothing",status="204"} 2');
        expect(text).not.toContain('evil');
        expect(text).not.toContain('no-such-method');
      } finally {
        await fresh.close();
      }
    });
  });

  describe('request durations', () => {
    /** The value of one sample line of Prometheus text, e.g. `name{labels} 0.31`. */
    const sample = (text: string, series: string): number => {
      const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
      if (line === undefined) throw new Error(`no sample ${series} in the metrics`);
      return Number(line.slice(series.length + 1));
    };
    const DURATION = 'colony_gateway_request_duration_seconds';
    /**
     * A Node timer may end a little before its delay in real time: it counts from the event loop's
     * cached time, which is behind by as long as the loop was busy when the timer was set (on a
     * loaded 2-core machine, a few ms). Durations measured with performance.now against a timer
     * are held to the delay less this.
     */
    const TIMER_SLACK_SECONDS = 0.025;

    it('measures each call over real HTTP from receiving it to answering it, failed calls too', async () => {
      const metricsRegistry = new Registry();
      const fresh = buildGateway({ ...rig.deps, metricsRegistry });
      await fresh.listen({ host: '127.0.0.1', port: 0 });
      try {
        const url = `http://127.0.0.1:${(fresh.server.address() as AddressInfo).port}`;
        /** Calls `method`; returns the seconds the caller waited for the whole answer. */
        const timed = async (method: string, status: number, headers: Record<string, string> = {}): Promise<number> => {
          const started = performance.now();
          const response = await fetch(`${url}/v1/agents/counter/alice/${method}`, { method: 'POST', headers });
          await response.arrayBuffer();
          expect(response.status).toBe(status);
          return (performance.now() - started) / 1_000;
        };
        const slowSeconds = await timed('slow', 200);
        const hangSeconds = await timed('hang', 504, { 'x-colony-timeout': '200ms' });
        const text = await (await fetch(`${url}/metrics`)).text();

        // The gateway's measure lies between the pod's own delay and what the caller waited.
        const slow = 'agent="counter",method="slow",status="200"';
        expect(sample(text, `${DURATION}_count{${slow}}`)).toBe(1);
        expect(sample(text, `${DURATION}_sum{${slow}}`)).toBeGreaterThanOrEqual(SLOW_REPLY_MS / 1_000 - TIMER_SLACK_SECONDS);
        expect(sample(text, `${DURATION}_sum{${slow}}`)).toBeLessThanOrEqual(slowSeconds);
        // In the right bucket: none at or below 0.25 s, and it is in the first bucket that holds what the caller waited.
        expect(sample(text, `${DURATION}_bucket{le="0.25",${slow}}`)).toBe(0);
        const bound = DURATION_BUCKETS_SECONDS.find((le) => le >= slowSeconds);
        expect(sample(text, `${DURATION}_bucket{le="${bound ?? '+Inf'}",${slow}}`)).toBe(1);

        // A call that ends in an error is recorded by the error handler, with its real duration too.
        const hang = 'agent="counter",method="hang",status="504"';
        expect(sample(text, `${DURATION}_sum{${hang}}`)).toBeGreaterThanOrEqual(0.2 - TIMER_SLACK_SECONDS);
        expect(sample(text, `${DURATION}_sum{${hang}}`)).toBeLessThanOrEqual(hangSeconds);
      } finally {
        await fresh.close();
      }
    });
  });
});
