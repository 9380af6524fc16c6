import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOk } from '../helpers/call.ts';
import { FIXTURES_DIR } from '../helpers/colony-dev.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a reminder whose method keeps throwing', () => {
  let test: TestPlatform;
  const lines: string[] = [];

  const call = (key: string, method: string, input?: unknown): Promise<unknown> => callOk(test.platform.gatewayUrl, 'alarm', key, method, input);
  const fires = async (key: string): Promise<{ fires: number; pod: string }> => (await call(key, 'explosions')) as { fires: number; pod: string };

  beforeAll(async () => {
    test = await startTestPlatform('failing-reminder', join(FIXTURES_DIR, 'alarm'), { logLevel: 'info', onPodOutput: (_pod, line) => lines.push(line) });
  });

  afterAll(async () => {
    await test?.stop();
  });

  it('is retried with capped exponential backoff, which a restart of its pod does not reset', async () => {
    await call('flaky', 'remindFailing', { name: 'boom', afterMs: 100 });
    // Backoff 0.5 s, 1 s, 2 s, 4 s…: about five fires in the first 6 s (measured: see the README).
    await sleep(6_000);
    const first = await fires('flaky');
    expect(first.fires).toBeGreaterThanOrEqual(2);
    expect(first.fires).toBeLessThanOrEqual(8);
    const logLines = lines.filter((line) => line.includes('flaky')).length;
    expect(logLines).toBeLessThanOrEqual(3 * first.fires + 4);
    console.log(`failing reminder: ${first.fires} fires and ${logLines} log lines in its first 6 s`);

    // The failures are kept with the reminder: the next pod waits out the backoff instead of starting over.
    test.platform.driver.signal(first.pod, 'SIGKILL');
    await expect.poll(async () => (await fires('flaky')).pod, { timeout: 20_000, interval: 250 }).not.toBe(first.pod);
    await sleep(3_000);
    expect((await fires('flaky')).fires).toBeLessThanOrEqual(1);
    // It is still set, and fires again once its backoff is over.
    expect(await call('flaky', 'reminders')).toEqual([expect.objectContaining({ name: 'boom', method: 'explode' })]);
  });
});
