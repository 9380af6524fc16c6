import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { ColonyError, ColonyHttpError, createClient } from 'colony/client';
import type { ColonyHttpClient } from 'colony/client';
import type { account } from '../../examples/account/account.ts';
import type { approval } from '../../examples/approval/approval.ts';
import type { counter } from '../../examples/counter/counter.ts';
import type { progress } from '../../examples/progress/progress.ts';
import type { streamer } from '../fixtures/streaming/streamer/streamer.ts';
import { EXAMPLES_DIR } from '../helpers/colony-dev.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';

const STREAMER_DIR = fileURLToPath(new URL('../fixtures/streaming/streamer', import.meta.url));

/** The error `promise` rejects with (the test fails if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<ColonyHttpError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ColonyHttpError);
  return error as ColonyHttpError;
}

/** colony/client against a real gateway, pods and nats-server: calls, typed errors, idempotency, deadlines, streams and workflows. */
describe('the typed HTTP client (colony/client)', () => {
  let harness: TestPlatform;
  let colony: ColonyHttpClient;

  beforeAll(async () => {
    harness = await startTestPlatform(
      'typed-client',
      ['counter', 'account', 'progress', 'approval'].map((example) => join(EXAMPLES_DIR, example)).concat(STREAMER_DIR),
    );
    colony = createClient({ url: harness.platform.gatewayUrl });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('calls a method with its typed input and resolves with its typed result', async () => {
    const alice = colony.agent<typeof counter>('counter', 'alice');
    const first = await alice.increment({ by: 2 });
    expectTypeOf(first).toEqualTypeOf<{ count: number }>();
    expect(first).toEqual({ count: 2 });
    expect(await alice.get()).toEqual({ count: 2 });
    // Keys are any UTF-8: percent-encoded as one path segment.
    expect(await colony.agent<typeof counter>('counter', 'tenant/7 été').increment({ by: 1 })).toEqual({ count: 1 });
  });

  it('rejects with ColonyHttpErrors carrying the code, the status and the message', async () => {
    const unknown = await rejection(colony.agent<typeof counter>('nosuch', 'alice').get());
    expect(unknown).toMatchObject({ code: 'not_found', status: 404 });
    expect(unknown.message).toContain('there is no agent named "nosuch"');

    await colony.agent<typeof account>('account', 'carol').deposit({ amount: 10 });
    const refused = await rejection(colony.agent<typeof account>('account', 'carol').withdraw({ amount: 50 }));
    expect(refused).toBeInstanceOf(ColonyError);
    expect(refused).toMatchObject({ code: 'failed_precondition', status: 409, retryable: false, message: 'insufficient funds in account carol: balance 10, asked 50' });
    expect(refused.callId).toBeTruthy();
    expectTypeOf(refused.code).toEqualTypeOf<ColonyError['code']>();

    const invalid = await rejection(colony.agent<typeof account>('account', 'carol').deposit({ amount: -5 }));
    expect(invalid).toMatchObject({ code: 'invalid_argument', status: 400 });
    expect(await colony.agent<typeof account>('account', 'carol').balance()).toEqual({ balance: 10 });
  });

  it('runs a call once per idempotency key, and refuses the key for another input', async () => {
    const once = colony.agent<typeof counter>('counter', 'idem', { idempotencyKey: 'add-5-once', timeoutMs: 5_000 });
    expect(await once.increment({ by: 5 })).toEqual({ count: 5 });
    expect(await once.increment({ by: 5 })).toEqual({ count: 5 });
    expect(await colony.agent<typeof counter>('counter', 'idem').get()).toEqual({ count: 5 });
    expect(await rejection(once.increment({ by: 6 }))).toMatchObject({ code: 'idempotency_key_reused', status: 422 });
  });

  it('sends timeoutMs as the call deadline: a method still running then is deadline_exceeded (504)', async () => {
    const late = await rejection(colony.agent<typeof streamer>('streamer', 'late', { timeoutMs: 300 }).forever());
    expect(late).toMatchObject({ code: 'deadline_exceeded', status: 504 });
  });

  it('streams a reply chunk by chunk, typed by what the method yields', async () => {
    const chunks = [];
    for await (const chunk of colony.stream<typeof progress>('progress', 'job-1').run({ steps: 3, stepMs: 20 })) {
      expectTypeOf(chunk).toEqualTypeOf<{ step: number; of: number; percent: number }>();
      chunks.push(chunk);
    }
    expect(chunks).toEqual([
      { step: 1, of: 3, percent: 33 },
      { step: 2, of: 3, percent: 67 },
      { step: 3, of: 3, percent: 100 },
    ]);
    // The same method without streaming: its chunks collected.
    expect(await colony.agent<typeof progress>('progress', 'job-2').run({ steps: 2, stepMs: 0 })).toHaveLength(2);
  });

  it('rejects a stream that fails midway, after the chunks it sent', async () => {
    const seen: number[] = [];
    const failed = rejection(
      (async () => {
        for await (const chunk of colony.stream<typeof streamer>('streamer', 'midway', { timeoutMs: 400 }).forever()) seen.push(chunk.i);
      })(),
    );
    expect(await failed).toMatchObject({ code: 'deadline_exceeded', status: 504 });
    expect(seen.length).toBeGreaterThan(2);
  });

  it('leaving a stream early stops the method (its signal aborts)', async () => {
    let read = 0;
    for await (const chunk of colony.stream<typeof streamer>('streamer', 'early').forever()) {
      read = chunk.i;
      if (read === 3) break;
    }
    expect(read).toBe(3);
    const probe = colony.agent<typeof streamer>('streamer', 'probe-early');
    await expect.poll(() => probe.probe({ key: 'early' }), { timeout: 5_000 }).toMatchObject({ aborted: true });
  });

  it('starts a workflow, raises its event and waits for its typed output', async () => {
    const approvals = colony.workflow<typeof approval>('approval');
    expect(await approvals.start('a-1', { amount: 50, timeoutMs: 3_600_000 })).toEqual({ id: 'a-1', workflow: 'approval', status: 'running' });
    expect(await rejection(approvals.start('a-1', { amount: 50, timeoutMs: 3_600_000 }))).toMatchObject({ code: 'already_exists', status: 409 });
    await approvals.event('a-1', 'decision', { approved: true });
    const done = await approvals.wait('a-1', { timeoutMs: 10_000 });
    expectTypeOf(done.output).toEqualTypeOf<{ approved: boolean; timedOut: boolean } | null>();
    expect(done).toMatchObject({ status: 'completed', input: { amount: 50, timeoutMs: 3_600_000 }, output: { approved: true, timedOut: false } });
    expect(await approvals.purge('a-1')).toEqual({ id: 'a-1', workflow: 'approval', purged: true });
    expect(await rejection(approvals.get('a-1'))).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('terminates a workflow, and refuses an event once it finished', async () => {
    const approvals = colony.workflow<typeof approval>('approval');
    await approvals.start('a-2', { amount: 5, timeoutMs: 3_600_000 });
    expect(await approvals.terminate('a-2', 'no longer needed')).toMatchObject({ id: 'a-2', status: 'terminated' });
    expect(await approvals.get('a-2')).toMatchObject({ status: 'terminated', reason: 'no longer needed' });
    expect(await rejection(approvals.event('a-2', 'decision', { approved: true }))).toMatchObject({ code: 'failed_precondition', status: 409 });
  });
});
