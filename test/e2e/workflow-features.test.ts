import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../helpers/colony-dev.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import { workflowDriver } from '../helpers/workflows.ts';
import type { WorkflowDriver } from '../helpers/workflows.ts';

describe('workflow features on real pods', () => {
  let test: TestPlatform;
  let driver: WorkflowDriver;

  beforeAll(async () => {
    test = await startTestPlatform('workflow-features', [join(FIXTURES_DIR, 'flows'), join(FIXTURES_DIR, 'tools'), join(FIXTURES_DIR, 'brief')]);
    driver = await workflowDriver(test.platform.natsUrl);
  });

  afterAll(async () => {
    await driver?.close();
    await test?.stop();
  });

  it('runs child workflows and returns their outputs', async () => {
    await driver.verb('flows', 'family', 'start', { input: { kind: 'parent' } });
    expect(await driver.finished('flows', 'family')).toMatchObject({
      status: 'completed',
      output: { children: [{ child: 'family-a', word: 'one' }, { child: 'family-b', word: 'two' }] },
    });
    expect(await driver.get('flows', 'family-a')).toMatchObject({ status: 'completed', parent: { workflow: 'flows', id: 'family' } });
  });

  it('continues as new: the same id, a new run with its own journal', async () => {
    await driver.verb('flows', 'rounds', 'start', { input: { kind: 'rounds' } });
    expect(await driver.finished('flows', 'rounds')).toMatchObject({ status: 'completed', run: 3, output: { rounds: 3, run: 3 }, customStatus: { round: 3 } });
  });

  it("runs another Agent's activities, retrying a flaky one, and journals now() and uuid()", async () => {
    await driver.verb('flows', 'tooling', 'start', { input: { kind: 'tools', word: 'hey' } });
    expect(await driver.finished('flows', 'tooling')).toMatchObject({
      status: 'completed',
      output: { shouted: { loud: 'HEY!', agent: 'tools', attempt: 1 }, attempts: 3, idLength: 36, atIsNumber: true },
    });
  });

  it('purges a finished instance and its journal once its retention (spec.retention) is over', async () => {
    await driver.verb('brief', 'gone-soon', 'start', { input: { amount: 1, timeoutMs: 50 } });
    expect(await driver.finished('brief', 'gone-soon')).toMatchObject({ status: 'completed' });
    await expect.poll(() => driver.get('brief', 'gone-soon'), { timeout: 15_000, interval: 200 }).toBeUndefined();
    // Purged: the id can be used again.
    expect(await driver.verb('brief', 'gone-soon', 'start', { input: { amount: 1, timeoutMs: 50 } })).toMatchObject({ status: 'running' });
  });

  it('fails a step whose activity input is over the NATS payload limit with payload_too_large, also when the activity would run in the same pod', async () => {
    await driver.verb('flows', 'too-big', 'start', { input: { kind: 'big' } });
    expect(await driver.finished('flows', 'too-big')).toMatchObject({ status: 'failed', error: { code: 'payload_too_large', message: expect.stringContaining('flows.measure') } });
  });
});
