import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../helpers/call.ts';
import type { Answer } from '../helpers/call.ts';
import { FIXTURES_DIR } from '../helpers/colony-dev.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';

/** `dozy` runs the approval example's workflow and scales to zero after two quiet seconds. */
describe('workflows on an Agent that scales to zero', () => {
  let test: TestPlatform;

  const http = (method: string, path: string, body?: unknown): Promise<Answer> => requestJson(test.platform.gatewayUrl, method, path, body);
  const pods = (): number => test.platform.driver.pods('default', 'dozy').length;

  beforeAll(async () => {
    test = await startTestPlatform('workflow-zero', join(FIXTURES_DIR, 'dozy'));
  });

  afterAll(async () => {
    await test?.stop();
  });

  it('is woken from zero by a durable timer that comes due, and by an event', async () => {
    expect((await http('POST', '/v1/workflows/dozy/timer', { amount: 1, timeoutMs: 7_000 })).status).toBe(202);
    expect((await http('POST', '/v1/workflows/dozy/event', { amount: 2, timeoutMs: 600_000 })).status).toBe(202);
    // Both only wait: their instances are unloaded, and the Agent goes to zero before the timer is due.
    await expect.poll(pods, { timeout: 6_000, interval: 100 }).toBe(0);
    expect((await http('GET', '/v1/workflows/dozy/timer')).body).toMatchObject({ status: 'running' });
    // The timer's reminder wakes the Agent (the controller reads the wake index), and the run ends on time.
    const timedOut = await http('GET', '/v1/workflows/dozy/timer?wait=30s');
    expect(timedOut.body).toMatchObject({ status: 'completed', output: { approved: false, timedOut: true } });
    await expect.poll(pods, { timeout: 15_000, interval: 100 }).toBe(0);
    // An event to a workflow of an Agent at zero wakes it like any call.
    expect((await http('POST', '/v1/workflows/dozy/event/events/decision', { approved: true })).status).toBe(202);
    expect((await http('GET', '/v1/workflows/dozy/event?wait=10s')).body).toMatchObject({ status: 'completed', output: { approved: true, timedOut: false } });
  }, 90_000);
});
