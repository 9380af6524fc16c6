import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import { startGateway } from '../../gateway/gateway.ts';
import { NS, useGatewayOverNats } from '../helpers/gateway-over-nats.ts';
import type { ErrorBody } from '../helpers/gateway-over-nats.ts';
import { useTestNats } from '../helpers/nats.ts';

/** The gateway's /healthz and /readyz: ready as its deps say, and as its NATS connection is. */

describe('gateway over a real nats-server', () => {
  const rig = useGatewayOverNats();

  describe('agents, health and metrics', () => {
    it('answers /healthz always and /readyz only while ready', async () => {
      expect((await rig.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await rig.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      rig.ready = false;
      try {
        const notReady = await rig.app.inject({ method: 'GET', url: '/readyz' });
        expect(notReady.statusCode).toBe(503);
        expect(notReady.json<ErrorBody>().error.code).toBe('unavailable');
        expect((await rig.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      } finally {
        rig.ready = true;
      }
    });
  });
});

describe('gateway readiness follows its NATS connection', () => {
  const nats = useTestNats();

  it('answers /readyz 503 while NATS is down and 200 again after it reconnects, /healthz 200 throughout', async () => {
    const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const gateway = await startGateway({ nc, namespace: NS, host: '127.0.0.1', port: 0, log: createLogger({ sink: () => undefined }) });
    const status = async (path: string): Promise<number> => (await fetch(`${gateway.url}${path}`)).status;
    try {
      expect(await status('/readyz')).toBe(200);
      await nats.stop();
      await expect.poll(() => status('/readyz'), { timeout: 10_000, interval: 25 }).toBe(503);
      expect(await status('/healthz')).toBe(200);
      await nats.restart();
      await expect.poll(() => status('/readyz'), { timeout: 10_000, interval: 25 }).toBe(200);
    } finally {
      await gateway.close();
      await nc.close();
    }
  });
});
