import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentSpec } from '../../controller/manifest/agent-spec.ts';
import type { Platform } from '../../cli/dev/platform.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import { EXAMPLES_DIR } from '../helpers/colony-dev.ts';
import { startLoad } from '../helpers/load.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Live rebalancing: pods come and go under load and no call fails. */
describe('scaling under load', () => {
  let platform: Platform;
  let harness: TestPlatform;
  let counter: AgentSpec;

  const scaleTo = async (replicas: number): Promise<void> => {
    counter = { ...counter, scaling: { ...counter.scaling, mode: 'manual', replicas } };
    await platform.controller.apply([counter]);
    // waitSettled alone may see the state from before the new decision (all served at the old count): wait for the count first.
    await expect.poll(() => platform.controller.status()[0]?.pods.filter((pod) => !pod.leaving && pod.state === 'running').length, { timeout: 30_000, interval: 100 }).toBe(replicas);
    await platform.controller.waitSettled(30_000);
    expect(platform.controller.status()[0]?.pods.filter((pod) => !pod.leaving && pod.state === 'running')).toHaveLength(replicas);
  };

  beforeAll(async () => {
    harness = await startTestPlatform('scaling', join(EXAMPLES_DIR, 'counter'));
    platform = harness.platform;
    counter = harness.specs[0] as AgentSpec;
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('scales 1 → 4 → 1 with zero failed calls and every increment counted once', async () => {
    const keys = Array.from({ length: 16 }, (_, i) => `scale-${i}`);
    const load = startLoad(platform.gatewayUrl, { agent: 'counter', method: 'increment', keys, workers: 6 });
    await sleep(500);
    await scaleTo(4);
    await sleep(1_000);
    await scaleTo(1);
    await sleep(500);
    await load.stop();
    expect(load.failures).toEqual([]);
    expect(load.sent).toBeGreaterThan(100);
    for (const key of keys) {
      const response = await fetch(`${platform.gatewayUrl}/v1/agents/counter/${key}/get`, { method: 'POST' });
      expect(await response.json()).toEqual({ count: load.acknowledged.get(key) ?? 0 });
    }
    const decisions = platform.controller.status()[0]?.decisions.map((d) => `${d.from}→${d.to}`);
    expect(decisions).toEqual(expect.arrayContaining(['1→4', '4→1']));
  });
});
