import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentSpec } from '../../controller/manifest/agent-spec.ts';
import type { Platform } from '../../cli/dev/platform.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import { FIXTURES_DIR } from '../helpers/colony-dev.ts';
import { startLoad } from '../helpers/load.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Checks one key's ledger: each activation's turns form one unbroken run (an
 * activation that was superseded never ran again), and each activation ran on one pod.
 */
function assertSingleActivation(key: string, turns: [string, string][]): void {
  const finished = new Set<string>();
  let current: string | undefined;
  for (const [index, [pod, activation]] of turns.entries()) {
    expect(activation.startsWith(`${pod}/`), `${key}: turn ${index} ran activation ${activation} on pod ${pod}`).toBe(true);
    if (activation === current) continue;
    expect(finished.has(activation), `${key}: activation ${activation} ran again at turn ${index} after it was superseded`).toBe(false);
    if (current) finished.add(current);
    current = activation;
  }
}

describe('one activation per key, through scaling, a crash and a paused pod', () => {
  let platform: Platform;
  let harness: TestPlatform;
  let ledger: AgentSpec;
  const podLines: string[] = [];

  beforeAll(async () => {
    harness = await startTestPlatform('ledger', join(FIXTURES_DIR, 'ledger'), {
      onPodOutput: (pod, line) => podLines.push(`${pod.podId} ${line}`),
    });
    platform = harness.platform;
    ledger = harness.specs[0] as AgentSpec;
  });

  afterAll(async () => {
    await harness?.stop();
  });

  const scaleTo = async (replicas: number): Promise<void> => {
    ledger = { ...ledger, scaling: { ...ledger.scaling, mode: 'manual', replicas } };
    await platform.controller.apply([ledger]);
    await platform.controller.waitSettled(30_000);
  };
  const pods = (): string[] => platform.driver.pods('default', 'ledger').map((pod) => pod.podId);

  it('never lets two activations of a key interleave, and the paused pod cannot write', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `ledger-${i}`);
    const load = startLoad(platform.gatewayUrl, { agent: 'ledger', method: 'record', keys, workers: 6, timeout: '30s', input: {} });
    await sleep(300);
    await scaleTo(3);
    await sleep(500);

    // Crash one pod.
    const crashed = pods()[0] as string;
    expect(platform.driver.signal(crashed, 'SIGKILL')).toBe(true);
    await platform.controller.waitSettled(30_000);
    await sleep(500);

    // Pause one pod past the controller's 5 s pod timeout: its partitions move, a pod is started in its place; then let it run again.
    const paused = pods().find((podId) => podId !== crashed) as string;
    expect(platform.driver.signal(paused, 'SIGSTOP')).toBe(true);
    await sleep(7_000);
    // Shown as unresponsive, and replaced by a new pod while it is.
    expect(platform.controller.status()[0]?.pods.find((pod) => pod.podId === paused)?.state).toBe('unresponsive');
    expect(platform.driver.signal(paused, 'SIGCONT')).toBe(true);
    await sleep(1_500);

    await scaleTo(1);
    await sleep(300);
    await load.stop();

    let total = 0;
    for (const key of keys) {
      const response = await fetch(`${platform.gatewayUrl}/v1/agents/ledger/${key}/turns`, { method: 'POST' });
      const turns = (await response.json()) as [string, string][];
      assertSingleActivation(key, turns);
      // Every acknowledged turn is in the ledger, once (calls that failed may or may not have run).
      expect(turns.length).toBeGreaterThanOrEqual(load.acknowledged.get(key) ?? 0);
      total += turns.length;
    }
    expect(total).toBeGreaterThan(100);
    // Calls caught on the crashed or the paused pod were sent again to the partition's next owner.
    expect(load.failures).toEqual([]);
    // The paused pod noticed, dropped what it held without writing, and re-read the table.
    expect(podLines.some((line) => line.startsWith(paused) && line.includes('re-reading the placement table'))).toBe(true);
  }, 120_000);
});
