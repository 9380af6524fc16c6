import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../cli/dev/platform.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import { EXAMPLES_DIR } from '../helpers/colony-dev.ts';
import { startLoad } from '../helpers/load.ts';
import { startTestNats } from '../helpers/nats.ts';
import type { TestNats } from '../helpers/nats.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('nats-server restarts under load', () => {
  let nats: TestNats;
  let platform: Platform;
  let harness: TestPlatform;

  beforeAll(async () => {
    nats = await startTestNats();
    harness = await startTestPlatform('nats-restart', join(EXAMPLES_DIR, 'counter'), { natsUrl: nats.url, logLevel: 'error' });
    platform = harness.platform;
  });

  afterAll(async () => {
    await harness?.stop();
    await nats?.close();
  });

  const get = async (key: string): Promise<number> => {
    const response = await fetch(`${platform.gatewayUrl}/v1/agents/counter/${key}/get`, { method: 'POST', headers: { 'x-colony-timeout': '10s' } });
    expect(response.status).toBe(200);
    return ((await response.json()) as { count: number }).count;
  };

  for (const how of ['stop', 'kill'] as const) {
    it(`recovers by itself after nats-server is ${how === 'stop' ? 'stopped' : 'killed'} and started again, losing no acknowledged increment`, async () => {
      const keys = ['n0', 'n1', 'n2', 'n3'].map((k) => `${how}-${k}`);
      const load = startLoad(platform.gatewayUrl, { agent: 'counter', method: 'increment', keys, workers: 4, timeout: '3s' });
      await sleep(500);
      await (how === 'stop' ? nats.stop() : nats.kill());
      await sleep(1_000);
      await nats.restart();
      // The platform finds its way back: calls, writes included, succeed again without anyone restarting anything.
      await expect.poll(async () => (await fetch(`${platform.gatewayUrl}/v1/agents/counter/probe/increment`, { method: 'POST', headers: { 'x-colony-timeout': '2s', 'content-type': 'application/json' }, body: '{"by":1}' })).status, {
        timeout: 30_000,
        interval: 500,
      }).toBe(200);
      const okBefore = [...load.acknowledged.values()].reduce((a, b) => a + b, 0);
      await sleep(1_500);
      await load.stop();
      const okAfter = [...load.acknowledged.values()].reduce((a, b) => a + b, 0);
      expect(okAfter).toBeGreaterThan(okBefore);
      for (const key of keys) {
        const final = await get(key);
        expect(final).toBeGreaterThanOrEqual(load.acknowledged.get(key) ?? 0);
        expect(final).toBeLessThanOrEqual((load.acknowledged.get(key) ?? 0) + load.failures.length);
      }
      expect((await (await fetch(`${platform.gatewayUrl}/readyz`)).status)).toBe(200);
      // The gateway's view of the registry follows the controller again (its KV watch was re-established).
      const restartedAt = Date.now();
      await expect
        .poll(async () => ((await (await fetch(`${platform.gatewayUrl}/v1/agents/counter/status`)).json()) as { updatedAt: number }).updatedAt, {
          timeout: 15_000,
        })
        .toBeGreaterThan(restartedAt);
    }, 90_000);
  }
});
