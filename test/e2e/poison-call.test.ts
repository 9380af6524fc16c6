import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../agent-runtime/observability/log.ts';
import { postCall } from '../helpers/call.ts';
import type { Answer } from '../helpers/call.ts';
import { FIXTURES_DIR } from '../helpers/colony-dev.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';

describe('a call that kills its pod (process.exit)', () => {
  let test: TestPlatform;
  const logs: LogLine[] = [];
  const podLines: string[] = [];

  const call = (key: string, method: string, timeout = '20s', headers: Record<string, string> = {}): Promise<Answer> =>
    postCall(test.platform.gatewayUrl, 'careless', key, method, undefined, { 'x-colony-timeout': timeout, ...headers });

  beforeAll(async () => {
    test = await startTestPlatform('poison', join(FIXTURES_DIR, 'careless'), {
      logLevel: 'info',
      onLog: (line) => logs.push(line),
      onPodOutput: (_pod, line) => podLines.push(line),
    });
  });

  afterAll(async () => {
    await test?.stop();
  });

  it('is sent again once, then refused with an error naming agent, key and method; the restart backoff applies and restarts are counted', async () => {
    expect((await call('bystander', 'bump')).body).toEqual({ n: 1 });
    const answer = await call('poison', 'exit', '20s', { 'idempotency-key': 'poison-1' });
    expect(answer.status).toBe(502);
    expect(answer.body.error?.code).toBe('crashed');
    expect(answer.body.error?.message).toMatch(/careless\.exit on poison/);
    expect(answer.body.error?.message).toMatch(/2 pods went away/);
    expect(answer.body.error?.message).toMatch(/not sent again/);

    // Two pods died, no more: the call was not sent to a third.
    const exits = logs.filter((line) => /exited unexpectedly/.test(line.msg));
    expect(exits.map((line) => line.msg)).toHaveLength(2);
    // The refusal is logged by the pod that refused it.
    expect(podLines.some((line) => line.includes('careless/poison') && line.includes('not sent again'))).toBe(true);

    // The backoff each exit announced was waited before the next pod started.
    const starts = podLines.flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as LogLine;
        return parsed.msg === 'pod started' ? [parsed] : [];
      } catch {
        return [];
      }
    });
    for (const exit of exits) {
      const announced = Number(/restarting in (\d+) ms/.exec(exit.msg)?.[1]);
      const exitedAt = Date.parse(exit.time);
      const next = starts.find((line) => Date.parse(line.time) >= exitedAt);
      expect(next, `a pod started after ${exit.msg}`).toBeDefined();
      // The pod's start line comes ~0.3 s after its process was launched: the launch was not earlier than announced.
      expect(Date.parse((next as LogLine).time) - exitedAt).toBeGreaterThanOrEqual(announced);
    }

    // The Agent serves again, and `colony get pods` counts the restarts.
    await expect.poll(async () => (await call('bystander', 'get', '2s')).status, { timeout: 20_000 }).toBe(200);
    expect((await call('bystander', 'get')).body).toEqual({ n: 1, blobBytes: 0 });
    const status = test.platform.controller.status().find((agent) => agent.name === 'careless');
    expect(status?.pods.map((pod) => pod.restarts)).toEqual([2]);
    // A retry of the same call (same id) is refused at once, and kills nothing.
    const podsBefore = test.platform.driver.pods('default', 'careless').map((pod) => pod.podId);
    const retry = await call('poison', 'exit', '5s', { 'idempotency-key': 'poison-1' });
    expect(retry.status).toBe(502);
    expect(retry.body.error?.code).toBe('crashed');
    expect(test.platform.driver.pods('default', 'careless').map((pod) => pod.podId)).toEqual(podsBefore);
    expect(logs.filter((line) => /exited unexpectedly/.test(line.msg))).toHaveLength(2);
  });
});
