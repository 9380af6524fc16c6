import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import { startPlatform } from '../../cli/dev/platform.ts';
import type { Platform } from '../../cli/dev/platform.ts';
import type { AgentSpec } from '../../controller/manifest/agent-spec.ts';
import { loadManifests } from '../../controller/manifest/manifest.ts';
import { callOk } from '../helpers/call.ts';
import { EXAMPLES_DIR } from '../helpers/colony-dev.ts';
import { workflowDriver } from '../helpers/workflows.ts';
import type { WorkflowDriver } from '../helpers/workflows.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const sumTo = (n: number): number => (n * (n - 1)) / 2;

describe('durable workflows through pod crashes and restarts', () => {
  let dataDir: string;
  let specs: AgentSpec[];
  let platform: Platform;
  let driver: WorkflowDriver;

  const start = async (): Promise<void> => {
    platform = await startPlatform({ agents: specs, dataDir, gatewayPort: 0, log: createLogger({ level: 'warn' }) });
    driver = await workflowDriver(platform.natsUrl);
  };
  const stop = async (): Promise<void> => {
    await driver?.close();
    await platform?.stop();
  };
  const count = async (tally: string): Promise<number> => ((await callOk(platform.gatewayUrl, 'counter', tally, 'get')) as { count: number }).count;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'colony-workflow-faults-'));
    specs = await loadManifests(['counter', 'fanout', 'approval'].map((name) => join(EXAMPLES_DIR, name)));
    await start();
  });

  afterAll(async () => {
    await stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('completes a 5,000-activity fan-out whose pod is killed (kill -9) midway, and the counter shows exactly 5,000', async () => {
    const n = 5_000;
    await driver.verb('fanout', 'crash-fan', 'start', { input: { n, tally: 'crash-fan' } });
    await expect.poll(() => count('crash-fan'), { timeout: 30_000, interval: 50 }).toBeGreaterThan(500);
    const owner = await driver.ownerOf('fanout', 'crash-fan');
    expect(platform.driver.signal(owner, 'SIGKILL')).toBe(true);
    const done = await driver.finished('fanout', 'crash-fan', 120_000);
    expect(done).toMatchObject({ status: 'completed', output: { sum: sumTo(n), count: n } });
    expect(await count('crash-fan')).toBe(n);
  }, 180_000);

  it('completes a sequential run whose pod is killed midway, counting each step once', async () => {
    const n = 300;
    await driver.verb('fanout', 'crash-seq', 'start', { input: { n, tally: 'crash-seq', sequential: true } });
    await expect.poll(() => count('crash-seq'), { timeout: 30_000, interval: 20 }).toBeGreaterThan(50);
    expect(platform.driver.signal(await driver.ownerOf('fanout', 'crash-seq'), 'SIGKILL')).toBe(true);
    expect(await driver.finished('fanout', 'crash-seq', 120_000)).toMatchObject({ status: 'completed', output: { sum: sumTo(n), count: n } });
    expect(await count('crash-seq')).toBe(n);
  }, 180_000);

  it('delivers an event sent while the instance\'s pod is gone (killed) and another takes its partition', async () => {
    await driver.verb('approval', 'moving', 'start', { input: { amount: 3, timeoutMs: 600_000 } });
    await expect.poll(async () => (await driver.get('approval', 'moving'))?.customStatus, { timeout: 10_000 }).toBeTruthy();
    expect(platform.driver.signal(await driver.ownerOf('approval', 'moving'), 'SIGKILL')).toBe(true);
    // Sent at once: it waits for the partition's next owner, which replays the instance, then journals the event.
    await driver.verb('approval', 'moving', 'event', { name: 'decision', payload: { approved: true } });
    expect(await driver.finished('approval', 'moving', 60_000)).toMatchObject({ status: 'completed', output: { approved: true, timedOut: false } });
  }, 120_000);

  it('goes on across a full stop and start of the platform: a fan-out, a sequential run, a durable timer, an event sent while unloaded', async () => {
    await driver.verb('fanout', 'restart-fan', 'start', { input: { n: 2_000, tally: 'restart-fan' } });
    await driver.verb('fanout', 'restart-seq', 'start', { input: { n: 200, tally: 'restart-seq', sequential: true } });
    // A timer due while the platform is down: it fires after the start, late, once.
    await driver.verb('approval', 'timer-across', 'start', { input: { amount: 1, timeoutMs: 3_000 } });
    await driver.verb('approval', 'event-across', 'start', { input: { amount: 2, timeoutMs: 600_000 } });
    await expect.poll(() => count('restart-seq'), { timeout: 30_000, interval: 20 }).toBeGreaterThan(20);
    await stop();
    await sleep(3_500);
    await start();
    // Raised while its instance is not loaded yet: it is delivered.
    await driver.verb('approval', 'event-across', 'event', { name: 'decision', payload: { approved: true } });
    expect(await driver.finished('approval', 'event-across', 60_000)).toMatchObject({ status: 'completed', output: { approved: true, timedOut: false } });
    expect(await driver.finished('approval', 'timer-across', 60_000)).toMatchObject({ status: 'completed', output: { approved: false, timedOut: true } });
    expect(await driver.finished('fanout', 'restart-fan', 120_000)).toMatchObject({ status: 'completed', output: { sum: sumTo(2_000), count: 2_000 } });
    expect(await driver.finished('fanout', 'restart-seq', 120_000)).toMatchObject({ status: 'completed', output: { sum: sumTo(200), count: 200 } });
    expect(await count('restart-fan')).toBe(2_000);
    expect(await count('restart-seq')).toBe(200);
  }, 240_000);

  it('terminates (no further step runs), suspends and resumes, and purges only what has finished', async () => {
    await driver.verb('fanout', 'stopped', 'start', { input: { n: 100_000, tally: 'stopped', sequential: true } });
    await expect.poll(() => count('stopped'), { timeout: 30_000, interval: 20 }).toBeGreaterThan(10);
    await expect(driver.verb('fanout', 'stopped', 'purge')).rejects.toMatchObject({ code: 'failed_precondition' });
    expect(await driver.verb('fanout', 'stopped', 'terminate', { reason: 'enough' })).toMatchObject({ status: 'terminated' });
    const after = await count('stopped');
    await sleep(1_000);
    expect(await count('stopped')).toBeLessThanOrEqual(after + 1);
    const stoppedAt = await count('stopped');
    await sleep(1_000);
    expect(await count('stopped')).toBe(stoppedAt);
    expect(await driver.get('fanout', 'stopped')).toMatchObject({ status: 'terminated', reason: 'enough' });

    await driver.verb('fanout', 'paused', 'start', { input: { n: 100_000, tally: 'paused', sequential: true } });
    await expect.poll(() => count('paused'), { timeout: 30_000, interval: 20 }).toBeGreaterThan(10);
    expect(await driver.verb('fanout', 'paused', 'suspend')).toMatchObject({ status: 'suspended' });
    await sleep(300);
    const held = await count('paused');
    await sleep(1_000);
    expect(await count('paused')).toBe(held);
    expect(await driver.verb('fanout', 'paused', 'resume')).toMatchObject({ status: 'running' });
    await expect.poll(() => count('paused'), { timeout: 10_000, interval: 50 }).toBeGreaterThan(held + 10);
    await driver.verb('fanout', 'paused', 'terminate');

    expect(await driver.verb('fanout', 'stopped', 'purge')).toMatchObject({ purged: true });
    expect(await driver.get('fanout', 'stopped')).toBeUndefined();
    // Purged: the id may be used again.
    await driver.verb('fanout', 'stopped', 'start', { input: { n: 3, tally: 'stopped-again' } });
    expect(await driver.finished('fanout', 'stopped')).toMatchObject({ status: 'completed', output: { sum: 3, count: 3 } });
  }, 120_000);
});
