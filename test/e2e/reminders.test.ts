import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import type { AgentSpec } from '../../controller/manifest/agent-spec.ts';
import { loadManifests } from '../../controller/manifest/manifest.ts';
import { startPlatform } from '../../cli/dev/platform.ts';
import type { Platform } from '../../cli/dev/platform.ts';
import { FIXTURES_DIR } from '../helpers/colony-dev.ts';

interface Ring {
  name: string;
  dueAt: number;
  at: number;
  pod: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('reminders, timers and background tasks', () => {
  let dataDir: string;
  let specs: AgentSpec[];
  let platform: Platform;

  const call = async (key: string, method: string, input?: unknown): Promise<unknown> => {
    const response = await fetch(`${platform.gatewayUrl}/v1/agents/alarm/${key}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-colony-timeout': '20s' },
      body: input === undefined ? '' : JSON.stringify(input),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} on ${key}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const rings = async (key: string): Promise<Ring[]> => (await call(key, 'rings')) as Ring[];
  const start = async (): Promise<void> => {
    platform = await startPlatform({ agents: specs, dataDir, gatewayPort: 0, log: createLogger({ level: 'warn' }) });
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'colony-reminders-'));
    specs = await loadManifests(join(FIXTURES_DIR, 'alarm'));
    await start();
  });

  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('fires a one-shot reminder once, after the instance went idle and was deactivated', async () => {
    const set = (await call('one', 'remind', { name: 'wake-up', afterMs: 3_000 })) as { dueAt: number };
    // idleTimeout is 300 ms: the instance is deactivated (as the pods' load reports say) before the reminder is due.
    await expect.poll(() => platform.controller.status()[0]?.activeInstances, { timeout: 2_500, interval: 100 }).toBe(0);
    expect(Date.now()).toBeLessThan(set.dueAt);
    await expect.poll(async () => (await rings('one')).length, { timeout: 10_000 }).toBe(1);
    const [ring] = await rings('one');
    expect(ring).toMatchObject({ name: 'wake-up', dueAt: set.dueAt });
    expect(ring?.at).toBeGreaterThanOrEqual(set.dueAt);
    await sleep(1_000);
    expect(await rings('one')).toHaveLength(1);
    expect(await call('one', 'reminders')).toEqual([]);
  });

  it('fires a periodic reminder on schedule until it is cancelled, and never after', async () => {
    await call('periodic', 'remind', { name: 'beat', afterMs: 200, everyMs: 300 });
    await expect.poll(async () => (await rings('periodic')).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    expect(await call('periodic', 'cancel', { name: 'beat' })).toEqual({ cancelled: true });
    const count = (await rings('periodic')).length;
    await sleep(1_000);
    expect((await rings('periodic')).length).toBe(count);
    const dues = (await rings('periodic')).map((r) => r.dueAt);
    expect(new Set(dues).size).toBe(dues.length);
  });

  it('does not keep a reminder set by a turn that failed', async () => {
    await expect(call('failed', 'remindThenFail', { name: 'ghost' })).rejects.toThrow(/500/);
    expect(await call('failed', 'reminders')).toEqual([]);
    await sleep(500);
    expect(await rings('failed')).toEqual([]);
  });

  it('runs in-memory timers while the instance is active', async () => {
    await call('timed', 'setTimer', { afterMs: 50, everyMs: 100 });
    await expect.poll(async () => (await call('timed', 'ticks')) as number, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    expect(await call('timed', 'stopTimer')).toEqual({ cancelled: true });
  });

  it('runs a background task to the end, checkpointing through turns', async () => {
    await call('task', 'startCount', { goal: 20, stepMs: 10 });
    await expect.poll(async () => call('task', 'progress'), { timeout: 10_000 }).toEqual({ progress: 20, done: true, running: false });
  });

  it('after the owner is killed and everything restarted, fires every due one-shot once and resumes tasks', async () => {
    const keys = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'];
    const due = new Map<string, number>();
    for (const key of keys) {
      const set = (await call(key, 'remind', { name: 'later', afterMs: 1_500 })) as { dueAt: number };
      due.set(key, set.dueAt);
    }
    await call('cancelled', 'remind', { name: 'never', afterMs: 1_500 });
    await call('cancelled', 'cancel', { name: 'never' });
    await call('resumed', 'startCount', { goal: 1_000_000, stepMs: 20 });
    await sleep(300);
    const before = ((await call('resumed', 'progress')) as { progress: number }).progress;
    expect(before).toBeGreaterThan(0);

    // Kill the owners, then stop the whole platform; the reminders come due while it is down.
    for (const pod of platform.driver.pods('default', 'alarm')) platform.driver.signal(pod.podId, 'SIGKILL');
    await platform.stop();
    await sleep(2_000);
    await start();

    for (const key of keys) {
      await expect.poll(async () => (await rings(key)).length, { timeout: 10_000 }).toBe(1);
      expect((await rings(key))[0]?.dueAt).toBe(due.get(key));
    }
    await sleep(1_000);
    for (const key of keys) expect(await rings(key)).toHaveLength(1);
    expect(await rings('cancelled')).toEqual([]);
    await expect.poll(async () => ((await call('resumed', 'progress')) as { progress: number }).progress, { timeout: 10_000 }).toBeGreaterThan(before + 5);
    expect(((await call('resumed', 'progress')) as { running: boolean }).running).toBe(true);
  });
});
