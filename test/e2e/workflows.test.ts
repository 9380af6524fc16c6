import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOk } from '../helpers/call.ts';
import { EXAMPLES_DIR } from '../helpers/colony-dev.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import { workflowDriver } from '../helpers/workflows.ts';
import type { WorkflowDriver } from '../helpers/workflows.ts';

describe('durable workflows on real pods', () => {
  let test: TestPlatform;
  let driver: WorkflowDriver;
  const lines: string[] = [];

  beforeAll(async () => {
    test = await startTestPlatform('workflows', ['counter', 'fanout', 'approval', 'saga'].map((name) => join(EXAMPLES_DIR, name)), {
      logLevel: 'info',
      onPodOutput: (_pod, line) => lines.push(line),
    });
    driver = await workflowDriver(test.platform.natsUrl);
  });

  afterAll(async () => {
    await driver?.close();
    await test?.stop();
  });

  it('runs a fan-out of activities to its output', async () => {
    expect(await driver.verb('fanout', 'fan-1', 'start', { input: { n: 200, tally: 'fan-1' } })).toEqual({ id: 'fan-1', workflow: 'fanout', status: 'running' });
    const done = await driver.finished('fanout', 'fan-1');
    expect(done, lines.slice(-20).join('\n')).toMatchObject({ status: 'completed', output: { sum: 19_900, count: 200 } });
  });

  it('runs a sequential chain', async () => {
    await driver.verb('fanout', 'seq-1', 'start', { input: { n: 50, tally: 'seq-1', sequential: true } });
    expect(await driver.finished('fanout', 'seq-1')).toMatchObject({ status: 'completed', output: { sum: 1_225, count: 50 } });
  });

  it('refuses a second start of the same id', async () => {
    await expect(driver.verb('fanout', 'fan-1', 'start', { input: { n: 1, tally: 'x' } })).rejects.toMatchObject({ code: 'already_exists' });
  });

  it('waits for an event, and times out on a durable timer', async () => {
    await driver.verb('approval', 'yes', 'start', { input: { amount: 10, timeoutMs: 60_000 } });
    await driver.verb('approval', 'yes', 'event', { name: 'decision', payload: { approved: true } });
    expect(await driver.finished('approval', 'yes')).toMatchObject({ status: 'completed', output: { approved: true, timedOut: false } });
    await driver.verb('approval', 'late', 'start', { input: { amount: 10, timeoutMs: 500 } });
    expect(await driver.finished('approval', 'late')).toMatchObject({ status: 'completed', output: { approved: false, timedOut: true } });
  });

  it('undoes a saga in reverse when a step fails for good, and ships one that does not fail', async () => {
    const count = async (key: string): Promise<number> => ((await callOk(test.platform.gatewayUrl, 'counter', key, 'get')) as { count: number }).count;
    await driver.verb('order', 'broken', 'start', { input: { item: 'lamp', qty: 2, amount: 30, failAt: 'ship' } });
    const broken = await driver.finished('order', 'broken');
    expect(broken).toMatchObject({ status: 'completed', output: { status: 'compensated', failedAt: 2, reason: 'no courier for lamp' } });
    expect(await count('reserved-lamp')).toBe(0);
    expect(await count('charged')).toBe(0);
    await driver.verb('order', 'fine', 'start', { input: { item: 'desk', qty: 1, amount: 100 } });
    expect(await driver.finished('order', 'fine')).toMatchObject({ status: 'completed', output: { status: 'shipped' } });
    expect(await count('reserved-desk')).toBe(1);
    expect(await count('charged')).toBe(100);
  });

  it('fails an instance started with input its workflow cannot use, saying which field and why', async () => {
    const failed = async (workflow: string, id: string, input: unknown): Promise<unknown> => {
      await driver.verb(workflow, id, 'start', { input });
      return driver.finished(workflow, id);
    };
    expect(await failed('approval', 'bad-1', {})).toMatchObject({ status: 'failed', error: { code: 'invalid_argument', message: expect.stringContaining('amount') } });
    expect(await failed('approval', 'bad-2', { amount: 5, timeoutMs: -1 })).toMatchObject({ status: 'failed', error: { code: 'invalid_argument', message: expect.stringContaining('timeoutMs') } });
    expect(await failed('order', 'bad-3', {})).toMatchObject({ status: 'failed', error: { code: 'invalid_argument', message: expect.stringContaining('item') } });
    expect(await failed('order', 'bad-4', { item: 'lamp', qty: 1.5, amount: 3 })).toMatchObject({ status: 'failed', error: { code: 'invalid_argument', message: expect.stringContaining('qty') } });
    expect(await failed('fanout', 'bad-5', { n: 'ten', tally: 't' })).toMatchObject({ status: 'failed', error: { code: 'invalid_argument', message: expect.stringContaining('n must be') } });
  });
});
