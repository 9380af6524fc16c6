import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES_DIR, FIXTURES_DIR, startColonyDev } from '../helpers/colony-dev.ts';
import type { ColonyDev } from '../helpers/colony-dev.ts';

/** Pids of the running pods of `agent`, from colony dev's log ("pod started ... pid=123"). */
function podPids(dev: ColonyDev, agent: string): number[] {
  const pids: number[] = [];
  const pattern = new RegExp(`${agent}-[0-9a-f]+ INF pod started pid=(\\d+)`, 'g');
  for (const match of dev.output().matchAll(pattern)) pids.push(Number(match[1]));
  return pids;
}

async function count(dev: ColonyDev, key: string): Promise<number> {
  const response = await dev.call('counter', key, 'get', undefined, { 'x-colony-timeout': '20s' });
  expect(response.status).toBe(200);
  return ((await response.json()) as { count: number }).count;
}

describe('state survives a restart of colony dev', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'colony-restart-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('finds the counts and balances again on the same data dir', async () => {
    const first = await startColonyDev({ dirs: [EXAMPLES_DIR], dataDir });
    await first.call('counter', 'durable', 'increment', { by: 41 });
    await first.call('counter', 'durable', 'increment', { by: 1 });
    await first.call('account', 'saver', 'deposit', { amount: 500 });
    expect(await first.stop()).toBe(0);
    expect(first.output()).toContain('colony dev: stopped');

    const second = await startColonyDev({ dirs: [EXAMPLES_DIR], dataDir });
    try {
      expect(await count(second, 'durable')).toBe(42);
      expect(await (await second.call('account', 'saver', 'balance')).json()).toEqual({ balance: 500 });
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});

describe('pods stopping and crashing', () => {
  let dev: ColonyDev;

  beforeAll(async () => {
    dev = await startColonyDev({ dirs: [EXAMPLES_DIR, FIXTURES_DIR] });
  });

  afterAll(async () => {
    await dev?.stop();
  });

  it('drains on SIGTERM: the turn in flight completes and is persisted, and the key is served again', async () => {
    const [pid] = podPids(dev, 'faulty');
    expect(pid).toBeGreaterThan(0);
    const inFlight = dev.call('faulty', 'drainee', 'nap', { ms: 1_000 }, { 'x-colony-timeout': '20s' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.kill(pid as number, 'SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ turns: 1 });
    await dev.waitFor(/faulty-[0-9a-f]+ INF stopped/);
    // The local driver restarts the pod; the next call waits for it and sees the persisted state.
    const after = await dev.call('faulty', 'drainee', 'turns', undefined, { 'x-colony-timeout': '20s' });
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ turns: 1 });
  });

  it('loses no acknowledged increment and applies none twice when a pod is killed with SIGKILL under load', async () => {
    const before = podPids(dev, 'counter');
    const acknowledged = [0, 0, 0];
    const ambiguous = [0, 0, 0];
    let running = true;
    const load = (async () => {
      let sent = 0;
      while (running) {
        sent += 1;
        const key = sent % 3;
        const response = await dev.call('counter', `kill-${key}`, 'increment', { by: 1 }, { 'x-colony-timeout': '3s' });
        await response.arrayBuffer();
        // A call in flight on the killed pod may have been applied without its reply: it is ambiguous.
        if (response.status === 200) acknowledged[key] = (acknowledged[key] ?? 0) + 1;
        else ambiguous[key] = (ambiguous[key] ?? 0) + 1;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(before.at(-1) as number, 'SIGKILL');
    await dev.waitFor(/pod counter-[0-9a-f]+ exited unexpectedly with signal SIGKILL/);
    await dev.waitFor(new RegExp(`counter-[0-9a-f]+ INF pod started pid=(?!(?:${before.join("|")})\\b)\\d+`));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    running = false;
    await load;
    for (const key of [0, 1, 2]) {
      const final = await count(dev, `kill-${key}`);
      expect(final).toBeGreaterThanOrEqual(acknowledged[key] as number);
      expect(final).toBeLessThanOrEqual((acknowledged[key] as number) + (ambiguous[key] as number));
    }
    // Calls caught on the killed pod were sent again to the partition's next owner (same call id):
    // none failed, so every increment is acknowledged and counted exactly once.
    expect(ambiguous).toEqual([0, 0, 0]);
    for (const key of [0, 1, 2]) {
      expect(await count(dev, `kill-${key}`)).toBe(acknowledged[key]);
    }
    expect(acknowledged.reduce((a, b) => a + b)).toBeGreaterThan(10);
  });
});
