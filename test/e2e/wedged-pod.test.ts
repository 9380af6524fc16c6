import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../agent-runtime/observability/log.ts';
import { postCall } from '../helpers/call.ts';
import type { Answer } from '../helpers/call.ts';
import { FIXTURES_DIR } from '../helpers/colony-dev.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';

describe('a method that never returns (for (;;) {})', () => {
  let test: TestPlatform;
  const podLines: string[] = [];
  const logs: LogLine[] = [];

  const call = (key: string, method: string, timeout = '3s'): Promise<Answer> => postCall(test.platform.gatewayUrl, 'careless', key, method, undefined, { 'x-colony-timeout': timeout });

  beforeAll(async () => {
    test = await startTestPlatform('wedged', join(FIXTURES_DIR, 'careless'), {
      logLevel: 'info',
      onPodOutput: (_pod, line) => podLines.push(line),
      onLog: (line) => logs.push(line),
    });
  });

  afterAll(async () => {
    await test?.stop();
  });

  it('gets its 504; the pod is replaced within seconds, says what was running, and the other keys are served again', async () => {
    expect((await call('steady', 'bump')).body).toEqual({ n: 1 });
    const [wedged] = test.platform.driver.pods('default', 'careless');
    const spin = await call('wedge', 'spin');
    expect(spin.status).toBe(504);
    const gotAt = Date.now();

    // The other keys are served again (by a new pod) within about 10 s; state is intact.
    await expect
      .poll(async () => (await call('steady', 'get', '2s')).status, { timeout: 20_000, interval: 250 })
      .toBe(200);
    const recoveredMs = Date.now() - gotAt;
    expect(recoveredMs).toBeLessThan(15_000);
    expect((await call('steady', 'get')).body).toEqual({ n: 1, blobBytes: 0 });

    // The log says which agent, key and method blocked the pod.
    const said = [...podLines, ...logs.map((line) => JSON.stringify(line))].find(
      (line) => line.includes('careless/wedge') && line.includes('spin') && /event loop/.test(line),
    );
    expect(said, [...podLines, ...logs.map((l) => JSON.stringify(l))].join('\n')).toBeDefined();

    // The wedged pod is gone, and `colony get pods` (the Agent's status) says why.
    await expect.poll(() => test.platform.driver.pods('default', 'careless').some((pod) => pod.podId === wedged?.podId), { timeout: 20_000 }).toBe(false);
    const status = test.platform.controller.status().find((agent) => agent.name === 'careless');
    const exit = status?.exits?.find((e) => e.podId === wedged?.podId);
    expect(exit?.reason, JSON.stringify(status)).toContain('careless/wedge.spin');
    expect(exit?.reason).toMatch(/blocked the event loop|event loop has been blocked/);
    console.log(`wedged pod: other keys served again ${recoveredMs} ms after the 504`);
  });

  it('with the default deadline (30 s): the other keys are served again within seconds, while the pod is still blocked', async () => {
    await expect.poll(async () => (await call('steady', 'get', '2s')).status, { timeout: 20_000 }).toBe(200);
    const before = new Set(test.platform.driver.pods('default', 'careless').map((pod) => pod.podId));
    const startedAt = Date.now();
    const spin = call('wedge-long', 'spin', '30s');
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Served again by a pod started in the blocked one's place, long before its deadline.
    await expect.poll(async () => (await call('steady', 'bump', '2s')).status, { timeout: 25_000, interval: 250 }).toBe(200);
    const recoveredMs = Date.now() - startedAt;
    expect(recoveredMs).toBeLessThan(20_000);
    const status = test.platform.controller.status().find((agent) => agent.name === 'careless');
    const blocked = status?.pods.find((pod) => before.has(pod.podId));
    expect(blocked?.state, JSON.stringify(status?.pods)).toBe('unresponsive');
    expect(blocked?.note).toContain('careless/wedge-long.spin');
    // The call itself ends: at its deadline, or, if its resend blocked the replacement too, refused (crashed) at the third pod.
    const answer = await spin;
    expect([502, 504]).toContain(answer.status);
    console.log(`wedged pod, default deadline: other keys served again ${recoveredMs} ms after the call; the call got ${answer.status} after ${Date.now() - startedAt} ms`);
  }, 60_000);
});
