import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPodLine } from '../../cli/dev/pod-log.ts';
import type { DriverPod } from '../../controller/drivers/driver.ts';
import { postCall } from '../helpers/call.ts';
import type { Answer } from '../helpers/call.ts';
import { FIXTURES_DIR } from '../helpers/colony-dev.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';

/** NATS's default max_payload: the most a reply, or an instance's stored record, can carry. */
const MAX_PAYLOAD = 1024 * 1024;

describe('careless agents: mistakes fail at once, clearly, and leave the instance usable', () => {
  let test: TestPlatform;
  const lines: string[] = [];

  const call = (agent: string, key: string, method: string, input?: unknown, headers: Record<string, string> = {}): Promise<Answer> =>
    postCall(test.platform.gatewayUrl, agent, key, method, input, headers);
  const logged = (pattern: RegExp): string | undefined => lines.find((line) => pattern.test(line));

  beforeAll(async () => {
    test = await startTestPlatform('careless', [join(FIXTURES_DIR, 'careless'), join(FIXTURES_DIR, 'moody')], {
      logLevel: 'info',
      onPodOutput: (_pod, line) => lines.push(line),
    });
  });

  afterAll(async () => {
    await test?.stop();
  });

  describe('sizes', () => {
    it('refuses a result over the NATS payload limit at once, naming its size and the limit, and rolls the turn back', async () => {
      expect((await call('careless', 'big', 'bump')).body).toEqual({ n: 1 });
      const answer = await call('careless', 'big', 'bigResult', { bytes: MAX_PAYLOAD + 1000 }, { 'x-colony-timeout': '20s' });
      expect(answer.status).toBe(500);
      expect(answer.body.error?.code).toBe('result_too_large');
      expect(answer.body.error?.message).toMatch(/careless\.bigResult on big/);
      expect(answer.body.error?.message).toMatch(/1,04\d,\d{3} bytes/);
      expect(answer.body.error?.message).toMatch(/limit/);
      expect(answer.ms).toBeLessThan(5_000);
      // Rolled back: the bump inside bigResult did not count; the instance still serves.
      expect((await call('careless', 'big', 'get')).body).toEqual({ n: 1, blobBytes: 0 });
      await expect.poll(() => logged(/result_too_large|bigResult.*too large/), { timeout: 5_000 }).toBeDefined();
    });

    it('refuses state that outgrows what an instance can store at once, keeps the last state, and stays usable', async () => {
      expect((await call('careless', 'fat', 'grow', { bytes: 600_000 })).status).toBe(200);
      const answer = await call('careless', 'fat', 'grow', { bytes: 600_000 }, { 'x-colony-timeout': '20s' });
      expect(answer.status).toBe(507);
      expect(answer.body.error?.code).toBe('state_too_large');
      expect(answer.body.error?.message).toMatch(/careless\/fat/);
      expect(answer.body.error?.message).toMatch(/1,200,\d{3} bytes/);
      expect(answer.ms).toBeLessThan(5_000);
      expect((await call('careless', 'fat', 'get')).body).toEqual({ n: 0, blobBytes: 600_000 });
      expect((await call('careless', 'fat', 'bump')).body).toEqual({ n: 1 });
      await expect.poll(() => logged(/state_too_large|state of careless\/fat .*too large/), { timeout: 5_000 }).toBeDefined();
    });

    it('refuses a call to another instance whose input is over the limit at once, naming sizes, and rolls the caller back', async () => {
      // Another key may live on this pod (an in-process call, no NATS) or not: a key that does not, so the call goes over NATS.
      const answer = await call('careless', 'sender', 'sendBig', { to: 'receiver', bytes: MAX_PAYLOAD + 10 }, { 'x-colony-timeout': '20s' });
      expect(answer.ms).toBeLessThan(5_000);
      expect(answer.status).toBe(413);
      expect(answer.body.error?.code).toBe('payload_too_large');
      expect(answer.body.error?.message).toMatch(/careless\.bump/);
      expect(answer.body.error?.message).toMatch(/max_payload/);
      expect((await call('careless', 'sender', 'get')).body).toEqual({ n: 0, blobBytes: 0 });
    });

    it('never lets remembered replies push a record over the limit; a repeat of a call whose reply was not kept is not run again', async () => {
      const keys = ['r1', 'r2', 'r3', 'r4'];
      for (const key of keys) {
        const answer = await call('careless', 'replies', 'bigResult', { bytes: 400_000 }, { 'idempotency-key': `replies-${key}` });
        expect(answer.status).toBe(200);
      }
      expect((await call('careless', 'replies', 'get')).body).toEqual({ n: 4, blobBytes: 0 });
      // Every repeat is answered without running again: with the first reply, or, when that could
      // not be kept, with a clear 409.
      for (const key of keys) {
        const repeat = await call('careless', 'replies', 'bigResult', { bytes: 400_000 }, { 'idempotency-key': `replies-${key}` });
        if (repeat.status !== 200) {
          expect(repeat.status).toBe(409);
          expect(repeat.body.error?.code).toBe('result_not_kept');
        }
      }
      expect((await call('careless', 'replies', 'get')).body).toEqual({ n: 4, blobBytes: 0 });
    });
  });

  describe('state JSON cannot hold', () => {
    it('fails a turn that sets the state to undefined, and keeps the state as it was', async () => {
      expect((await call('careless', 'amnesia', 'bump', { by: 5 })).body).toEqual({ n: 5 });
      const answer = await call('careless', 'amnesia', 'forget');
      expect(answer.status).toBe(500);
      expect(answer.body.error?.message).toMatch(/state of careless\/amnesia/);
      expect(answer.body.error?.message).toMatch(/undefined/);
      expect((await call('careless', 'amnesia', 'get')).body).toEqual({ n: 5, blobBytes: 0 });
      expect((await call('careless', 'amnesia', 'bump')).body).toEqual({ n: 6 });
    });

    it('fails a turn that puts a Map in the state (JSON would store it as {})', async () => {
      const answer = await call('careless', 'mapped', 'mapState');
      expect(answer.status).toBe(500);
      expect(answer.body.error?.message).toMatch(/Map/);
      expect((await call('careless', 'mapped', 'bump')).body).toEqual({ n: 1 });
    });
  });

  describe('idempotency keys', () => {
    it('answers a repeat of the same request with the first reply, and refuses the key reused for another body or method with 422', async () => {
      const key = { 'idempotency-key': 'idem-reuse-1' };
      expect((await call('careless', 'idem', 'bump', { by: 1 }, key)).body).toEqual({ n: 1 });
      const same = await call('careless', 'idem', 'bump', { by: 1 }, key);
      expect(same.status).toBe(200);
      expect(same.body).toEqual({ n: 1 });
      const otherBody = await call('careless', 'idem', 'bump', { by: 2 }, key);
      expect(otherBody.status).toBe(422);
      expect(otherBody.body.error?.code).toBe('idempotency_key_reused');
      expect(otherBody.body.error?.message).toMatch(/idem-reuse-1/);
      const otherMethod = await call('careless', 'idem', 'get', undefined, key);
      expect(otherMethod.status).toBe(422);
      expect(otherMethod.body.error?.code).toBe('idempotency_key_reused');
      expect((await call('careless', 'idem', 'get')).body).toEqual({ n: 1, blobBytes: 0 });
    });
  });

  describe('cross-chain waits', () => {
    it('lets one of two chains that wait on each other proceed, and refuses the other with 409 aborted (4 tries)', async () => {
      for (let round = 0; round < 4; round += 1) {
        const [a, b] = [`ping-${round}`, `pong-${round}`];
        const [left, right] = await Promise.all([
          call('careless', a, 'handshake', { peer: b, delayMs: 200 }),
          call('careless', b, 'handshake', { peer: a, delayMs: 200 }),
        ]);
        const statuses = [left.status, right.status].sort();
        expect(statuses, `round ${round}: ${JSON.stringify([left.body, right.body])}`).toEqual([200, 409]);
        const refused = left.status === 409 ? left : right;
        expect(refused.body.error?.code).toBe('aborted');
      }
    });
  });

  describe('errors in agent code', () => {
    it('logs a method error with its stack, as colony dev prints it', async () => {
      const answer = await call('careless', 'oops', 'fail');
      expect(answer.status).toBe(500);
      expect(answer.body.error?.message).toContain('careless failure');
      await expect.poll(() => logged(/careless failure/), { timeout: 5_000 }).toBeDefined();
      const pod = test.platform.driver.pods('default', 'careless')[0] as DriverPod;
      const printed = formatPodLine(pod, logged(/careless failure/) as string, false);
      expect(printed).toMatch(/careless\.ts:\d+:\d+/);
      expect(printed).toContain('method=fail');
    });

    it('says that onActivate failed, for which instance, and why', async () => {
      const answer = await call('moody', 'bad-day', 'greet');
      expect(answer.status).toBe(500);
      expect(answer.body.error?.message).toMatch(/onActivate of moody\/bad-day failed/);
      expect(answer.body.error?.message).toMatch(/no mood for bad-day/);
      expect((await call('moody', 'good-day', 'greet')).body).toEqual({ greeted: 1 });
    });
  });
});
