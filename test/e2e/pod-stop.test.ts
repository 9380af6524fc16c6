import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentSpec } from '../../controller/manifest/agent-spec.ts';
import type { Platform } from '../../cli/dev/platform.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import { FIXTURES_DIR } from '../helpers/colony-dev.ts';
import { soloUnit } from '../../controller/placement/groups.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A pod chosen for removal drains: it finishes its turns, persists and
 * releases. Being told to stop again while it drains (a repeated scaling
 * decision, `colony dev` shutting down meanwhile) must not cut that short:
 * a second SIGTERM makes a pod exit at once.
 */
describe('stopping a pod that is already draining', () => {
  let platform: Platform;
  let harness: TestPlatform;
  let faulty: AgentSpec;
  const lines = new Map<string, string[]>();

  const waitForLine = async (podId: string, pattern: RegExp): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!(lines.get(podId) ?? []).some((line) => pattern.test(line))) {
      if (Date.now() > deadline) throw new Error(`pod ${podId} never wrote ${pattern}; it wrote:\n${(lines.get(podId) ?? []).join('\n')}`);
      await sleep(20);
    }
  };

  beforeAll(async () => {
    harness = await startTestPlatform('pod-stop', join(FIXTURES_DIR, 'faulty'), {
      onPodOutput: (pod, line) => lines.set(pod.podId, [...(lines.get(pod.podId) ?? []), line]),
    });
    platform = harness.platform;
    faulty = harness.specs[0] as AgentSpec;
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('lets the first stop finish the drain: the turn in flight completes, and the pod stops cleanly', async () => {
    const [pod] = platform.driver.pods(faulty.namespace, faulty.name);
    if (!pod) throw new Error('faulty has no pod');
    const inFlight = fetch(`${platform.gatewayUrl}/v1/agents/faulty/drain-twice/nap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-colony-timeout': '20s' },
      body: JSON.stringify({ ms: 1_500 }),
    });
    await sleep(300);
    await platform.driver.scale(soloUnit(faulty), 1, [pod.podId]);
    await waitForLine(pod.podId, /"msg":"draining"/);
    // The same decision again while the pod drains.
    await platform.driver.scale(soloUnit(faulty), 1, [pod.podId]);
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ turns: 1 });
    await waitForLine(pod.podId, /"msg":"stopped"/);
    expect(lines.get(pod.podId)?.filter((line) => /second SIGTERM/.test(line))).toEqual([]);
  });
});
