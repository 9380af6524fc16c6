import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../cli/dev/platform.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import { FIXTURES_DIR } from '../helpers/colony-dev.ts';
import { startLoad } from '../helpers/load.ts';

/** Pods follow the load, up and back down, and no call fails meanwhile. */
describe('autoscaling', () => {
  let harness: TestPlatform;
  let platform: Platform;
  const running = (): number => platform.driver.pods('default', 'busy').length;

  beforeAll(async () => {
    harness = await startTestPlatform('autoscale', join(FIXTURES_DIR, 'busy'), {
      // Shorter windows than production (60 s / 30 s) so the test takes seconds.
      autoscaler: { stableWindowMs: 6_000, panicWindowMs: 2_000, scaleDownDelayMs: 2_000 },
    });
    platform = harness.platform;
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('adds pods when turns pile up, removes them when the load is gone, and fails no call', async () => {
    expect(running()).toBe(1);
    const keys = Array.from({ length: 24 }, (_, i) => `b${i}`);
    const load = startLoad(platform.gatewayUrl, { agent: 'busy', method: 'work', keys, workers: 16, input: {} });
    await expect.poll(running, { timeout: 20_000, interval: 200 }).toBe(4);
    await expect.poll(() => platform.controller.status()[0]?.readyReplicas, { timeout: 20_000 }).toBe(4);
    await load.stop();
    expect(load.failures).toEqual([]);
    await expect.poll(running, { timeout: 30_000, interval: 200 }).toBe(1);
    const decisions = platform.controller.status()[0]?.decisions ?? [];
    expect(decisions.some((d) => d.to > d.from && /in flight/.test(d.reason))).toBe(true);
    expect(decisions.some((d) => d.to < d.from)).toBe(true);
    for (const key of keys) {
      const response = await fetch(`${platform.gatewayUrl}/v1/agents/busy/${key}/work`, { method: 'POST' });
      expect(((await response.json()) as { done: number }).done).toBe((load.acknowledged.get(key) ?? 0) + 1);
    }
  }, 90_000);
});
