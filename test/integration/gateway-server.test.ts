import { describe, expect, it } from 'vitest';
import { decodeJson } from '../../agent-runtime/protocol/codec.ts';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import { demandSubject } from '../../agent-runtime/protocol/subjects.ts';
import { parseApiTokens } from '../../gateway/auth.ts';
import { startGateway } from '../../gateway/gateway.ts';
import type { RunningGateway, StartGatewayOptions } from '../../gateway/gateway.ts';
import { runColony } from '../helpers/colony-dev.ts';
import { JSON_HEADERS, NS, SLOW_REPLY_MS, useGatewayOverNats } from '../helpers/gateway-over-nats.ts';
import type { Seen } from '../helpers/gateway-over-nats.ts';

/** startGateway: the gateway as a process runs it, on a real port, signalling demand, closing cleanly, requiring tokens. */

describe('gateway over a real nats-server', () => {
  const rig = useGatewayOverNats();

  describe('startGateway', () => {
    it('listens on a free port, serves real HTTP, signals demand for a cold agent, and closes', async () => {
      const gatewayNc = await rig.nats.connect();
      const demands: unknown[] = [];
      const demandSub = rig.nc.subscribe(demandSubject(NS, 'sleepy'), {
        callback: (_error, msg) => {
          demands.push(decodeJson(msg.data, 'demand'));
        },
      });
      await rig.nc.flush();
      const gateway = await startGateway({
        nc: gatewayNc,
        namespace: NS,
        host: '127.0.0.1',
        port: 0,
        log: createLogger({ sink: () => undefined }),
      });
      try {
        expect(gateway.port).toBeGreaterThan(0);
        expect(gateway.url).toBe(`http://127.0.0.1:${gateway.port}`);
        const key = 'a/b c';
        const response = await fetch(`${gateway.url}/v1/agents/counter/${encodeURIComponent(key)}/inspect`, {
          method: 'POST',
          headers: JSON_HEADERS,
          body: '{"by":2}',
        });
        expect(response.status).toBe(200);
        expect(((await response.json()) as Seen).key).toBe(key);
        expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);

        const cold = await fetch(`${gateway.url}/v1/agents/sleepy/alice/wake`, { method: 'POST', headers: { 'x-colony-timeout': '300ms' } });
        expect(cold.status).toBe(503);
        expect(cold.headers.get('retry-after')).toBe('1');
        // The demand was published on the gateway's connection: wait for it to arrive on this one.
        await expect.poll(() => demands.length).toBeGreaterThan(0);
        for (const demand of demands) expect(demand).toMatchObject({ namespace: NS, agent: 'sleepy' });

        const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
        expect(metrics).toContain('colony_gateway_requests_total{agent="counter",method="inspect",status="200"} 1');
        expect(metrics).toContain('process_cpu_user_seconds_total');
      } finally {
        await gateway.close();
        demandSub.unsubscribe();
      }
      await expect(fetch(`${gateway.url}/healthz`)).rejects.toThrow();
      expect(gatewayNc.isClosed()).toBe(false);
    });

    /** A gateway of its own, on its own connection and a free port, logging nothing. */
    const ownGateway = async (options: Partial<StartGatewayOptions> = {}): Promise<RunningGateway> =>
      startGateway({ nc: await rig.nats.connect(), namespace: NS, host: '127.0.0.1', port: 0, log: createLogger({ sink: () => undefined }), ...options });

    it('finishes calls in flight when it closes, without waiting for idle keep-alive connections', async () => {
      const gateway = await ownGateway();
      const received = new Promise<void>((resolve) => {
        rig.onSlowCall = resolve;
      });
      try {
        // A keep-alive connection that is idle when close() starts, and one busy with a call.
        expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
        const inFlight = fetch(`${gateway.url}/v1/agents/counter/alice/slow`, { method: 'POST' });
        await received;
        const started = Date.now();
        await gateway.close();
        const response = await inFlight;
        expect(response.status).toBe(200);
        expect(await response.json()).toBe('finally');
        // Not held open by the idle connection for fastify's keep-alive timeout (72 s); the bound leaves room for a busy machine.
        expect(Date.now() - started).toBeLessThan(SLOW_REPLY_MS + 10_000);
      } finally {
        rig.onSlowCall = undefined;
        await gateway.close();
      }
    }, 30_000);

    it('with COLONY_API_TOKENS-style tokens, serves the colony CLI that sends one and refuses the one that does not', async () => {
      const token = 'integration-token-0123456789';
      const gateway = await ownGateway({ apiTokens: parseApiTokens(token, 'COLONY_API_TOKENS') });
      const colony = (args: string[], env: Record<string, string> = {}) => runColony([...args, '--url', gateway.url], env);
      try {
        const refused = await colony(['invoke', 'counter/alice', 'echo', '{"by":1}']);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/error 401 unauthenticated: this gateway requires an API token/);
        const byFlag = await colony(['invoke', 'counter/alice', 'echo', '{"by":1}', '--token', token]);
        expect(byFlag).toMatchObject({ code: 0, stdout: '{\n  "by": 1\n}\n' });
        const byEnv = await colony(['get', 'agents'], { COLONY_TOKEN: token });
        expect(byEnv.code).toBe(0);
        expect(byEnv.stdout).toMatch(/^counter\s/m);
        expect((await colony(['get', 'agents'])).stderr).toMatch(/401 unauthenticated/);
        expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
      } finally {
        await gateway.close();
      }
    });
  });
});
