import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../cli/dev/platform.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import { FIXTURES_DIR } from '../helpers/colony-dev.ts';


describe('scale to zero and back', () => {
  let harness: TestPlatform;
  let platform: Platform;
  const pods = (): number => platform.driver.pods('default', 'sleepy').length;
  const hello = (key: string): Promise<Response> =>
    fetch(`${platform.gatewayUrl}/v1/agents/sleepy/${key}/hello`, { method: 'POST', headers: { 'x-colony-timeout': '20s' } });

  beforeAll(async () => {
    harness = await startTestPlatform('zero', join(FIXTURES_DIR, 'sleepy'));
    platform = harness.platform;
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('starts with no pods, wakes once for many waiting calls, answers them all, and says how long they waited', async () => {
    expect(pods()).toBe(0);
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => hello(`k${i % 8}`)));
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    const waits = responses.map((r) => Number(r.headers.get('x-colony-wait-ms')));
    expect(Math.max(...waits)).toBeGreaterThan(0);
    const decisions = platform.controller.status()[0]?.decisions ?? [];
    expect(decisions.filter((d) => d.from === 0 && d.to > 0)).toHaveLength(1);
    expect(decisions.at(-1)?.reason).toMatch(/wake/);
    const metrics = await (await fetch(`${platform.gatewayUrl}/metrics`)).text();
    expect(metrics).toMatch(/colony_gateway_placement_wait_seconds_count\{agent="sleepy"\} [1-9]/);
  });

  it('goes back to zero after the quiet period, keeping the state', async () => {
    await expect.poll(pods, { timeout: 20_000, interval: 200 }).toBe(0);
    expect(platform.controller.status()[0]?.decisions.at(-1)?.reason).toMatch(/scale to zero/);
    const response = await hello('k0');
    expect(response.status).toBe(200);
    expect(((await response.json()) as { calls: number }).calls).toBe(6);
  });
});
