import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentStatusRecord } from '../../agent-runtime/protocol/registry.ts';
import { callOk, requestJson } from '../helpers/call.ts';
import { COLONY_BIN, EXAMPLES_DIR, FIXTURES_DIR } from '../helpers/colony-dev.ts';
import type { ColonyRun } from '../helpers/colony-dev.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';

interface Page {
  agent: string;
  stored: boolean;
  instances: { key: string; partition: number; pod?: string }[];
  next?: string;
  unanswered?: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The admin API and CLI of instances on a running platform: examples/counter,
 * examples/account (two pods), the alarm fixture (idle after 300 ms), the
 * sleepy fixture (scales to zero).
 */
describe('the admin API and CLI of instances', () => {
  let harness: TestPlatform;
  let url: string;

  /** Every instance the list pages give, following `next` with pages of `limit`. */
  const listAll = async (agent: string, stored: boolean, limit: number): Promise<{ instances: Page['instances']; pages: number }> => {
    const instances: Page['instances'] = [];
    let cursor: string | undefined;
    for (let pages = 1; ; pages += 1) {
      const query = new URLSearchParams({ limit: String(limit), ...(stored ? { stored: 'true' } : {}), ...(cursor ? { cursor } : {}) });
      const answer = await requestJson(url, 'GET', `/v1/agents/${agent}/instances?${query}`);
      expect(answer.status).toBe(200);
      const page = answer.body as unknown as Page;
      expect(page.instances.length).toBeLessThanOrEqual(limit);
      expect(page.unanswered).toBeUndefined();
      instances.push(...page.instances);
      if (page.next === undefined) return { instances, pages };
      cursor = page.next;
    }
  };
  const keysOf = (instances: Page['instances'], prefix: string): string[] => instances.map((i) => i.key).filter((key) => key.startsWith(prefix));

  /** Runs the colony bin against the platform, with `stdin` as its input. */
  const colony = (args: string[], stdin = ''): Promise<ColonyRun> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [COLONY_BIN, ...args, '--url', url], { env: { ...process.env, COLONY_TOKEN: '', COLONY_URL: '' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += String(chunk)));
      child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(stdin);
    });

  beforeAll(async () => {
    harness = await startTestPlatform('admin', [join(EXAMPLES_DIR, 'counter'), join(EXAMPLES_DIR, 'account'), join(FIXTURES_DIR, 'alarm'), join(FIXTURES_DIR, 'sleepy')]);
    url = harness.platform.gatewayUrl;
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('lists the instances in memory on every pod of an Agent, a page at a time, in key order', async () => {
    // Both pods of account serve partitions before the test spreads instances over them.
    await expect
      .poll(async () => {
        const status = (await requestJson(url, 'GET', '/v1/agents/account/status')).body as unknown as AgentStatusRecord;
        return status.pods.length === 2 && status.partitionsServed === status.partitions;
      }, { timeout: 30_000, interval: 200 })
      .toBe(true);
    const keys = Array.from({ length: 20 }, (_, i) => `acct-${String(i).padStart(2, '0')}`);
    for (const key of keys) await callOk(url, 'account', key, 'deposit', { amount: 5 });
    const { instances, pages } = await listAll('account', false, 7);
    expect(keysOf(instances, 'acct-')).toEqual(keys);
    expect(pages).toBeGreaterThanOrEqual(3);
    // 20 keys over 64 partitions and two pods: both have some (the pages merged both pods' answers).
    const pods = new Set(instances.filter((i) => i.key.startsWith('acct-')).map((i) => i.pod));
    expect(pods.size).toBe(2);
    for (const instance of instances) expect(instance.partition).toBeGreaterThanOrEqual(0);
  });

  it('lists the stored instances of an Agent whose instances went idle, and reads one without activating it', async () => {
    for (const key of ['idle-a', 'idle-b', 'idle-c']) await callOk(url, 'alarm', key, 'tick');
    // idleTimeout is 300 ms: once deactivated they are stored and no longer in memory.
    await expect.poll(async () => keysOf((await listAll('alarm', false, 100)).instances, 'idle-'), { timeout: 5_000, interval: 100 }).toEqual([]);
    const stored = await listAll('alarm', true, 2);
    expect(keysOf(stored.instances, 'idle-')).toEqual(['idle-a', 'idle-b', 'idle-c']);
    expect(stored.pages).toBeGreaterThanOrEqual(2);
    const read = await requestJson(url, 'GET', '/v1/agents/alarm/idle-b/state');
    expect(read).toMatchObject({ status: 200, body: { agent: 'alarm', key: 'idle-b', active: false, state: { ticks: 1 } } });
    expect(keysOf((await listAll('alarm', false, 100)).instances, 'idle-')).toEqual([]);
    expect((await requestJson(url, 'GET', '/v1/agents/alarm/never-called/state')).status).toBe(404);
  });

  it('reads, replaces and resets the state as turns the next call sees; the same Idempotency-Key applies a change once', async () => {
    await callOk(url, 'counter', 'admin-a', 'increment', { by: 2 });
    expect(await requestJson(url, 'GET', '/v1/agents/counter/admin-a/state')).toMatchObject({ status: 200, body: { active: true, state: { count: 2 } } });
    const put = (state: unknown) => requestJson(url, 'PUT', '/v1/agents/counter/admin-a/state', state, { 'idempotency-key': 'put-admin-a' });
    expect(await put({ count: 40 })).toMatchObject({ status: 200, body: { agent: 'counter', key: 'admin-a', replaced: true } });
    expect(await callOk(url, 'counter', 'admin-a', 'increment', { by: 1 })).toEqual({ count: 41 });
    // Sent again (a client's retry): answered as the first time, and not applied again.
    expect(await put({ count: 40 })).toMatchObject({ status: 200, body: { replaced: true } });
    expect(await callOk(url, 'counter', 'admin-a', 'get')).toEqual({ count: 41 });
    expect(await put({ count: 99 })).toMatchObject({ status: 422, body: { error: { code: 'idempotency_key_reused' } } });
    expect(await requestJson(url, 'PUT', '/v1/agents/counter/admin-a/state')).toMatchObject({ status: 400 });
    expect(await requestJson(url, 'DELETE', '/v1/agents/counter/admin-a/state')).toMatchObject({ status: 200, body: { reset: true } });
    expect(await callOk(url, 'counter', 'admin-a', 'increment', { by: 1 })).toEqual({ count: 1 });
    // A POST to …/state is still a call of a method named state (counter has none).
    expect(await requestJson(url, 'POST', '/v1/agents/counter/admin-a/state')).toMatchObject({ status: 404, body: { error: { message: expect.stringContaining('no method "state"') } } });
  });

  it('lists and cancels reminders, on an instance that went idle; a cancelled reminder never fires', async () => {
    // Due after the instance went idle (300 ms) and the cancels below, with room for a loaded machine.
    await callOk(url, 'alarm', 'rem', 'remind', { name: 'soon', afterMs: 5_000 });
    await callOk(url, 'alarm', 'rem', 'remind', { name: 'later', afterMs: 600_000 });
    const listed = await requestJson(url, 'GET', '/v1/agents/alarm/rem/reminders');
    expect(listed.status).toBe(200);
    expect((listed.body.reminders as { name: string; method: string }[]).map((r) => [r.name, r.method])).toEqual([
      ['later', 'ring'],
      ['soon', 'ring'],
    ]);
    await expect.poll(async () => keysOf((await listAll('alarm', false, 100)).instances, 'rem'), { timeout: 2_000, interval: 100 }).toEqual([]);
    const cancel = () => requestJson(url, 'DELETE', '/v1/agents/alarm/rem/reminders/soon', undefined, { 'idempotency-key': 'cancel-soon' });
    expect(await cancel()).toMatchObject({ status: 200, body: { reminder: 'soon', cancelled: true } });
    expect(await cancel()).toMatchObject({ status: 200, body: { reminder: 'soon', cancelled: true } });
    expect(await requestJson(url, 'DELETE', '/v1/agents/alarm/rem/reminders/soon')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(((await requestJson(url, 'GET', '/v1/agents/alarm/rem/reminders')).body.reminders as { name: string }[]).map((r) => r.name)).toEqual(['later']);
    await sleep(5_000);
    expect(await callOk(url, 'alarm', 'rem', 'rings')).toEqual([]);
  });

  it('reads and lists an Agent scaled to zero without waking it; a change wakes it', async () => {
    const pods = (): number => harness.platform.driver.pods('default', 'sleepy').length;
    expect(await callOk(url, 'sleepy', 'z1', 'hello')).toMatchObject({ calls: 1 });
    await expect.poll(pods, { timeout: 30_000, interval: 200 }).toBe(0);
    expect(await requestJson(url, 'GET', '/v1/agents/sleepy/z1/state')).toMatchObject({ status: 200, body: { active: false, state: { calls: 1 } } });
    expect(await requestJson(url, 'GET', '/v1/agents/sleepy/instances')).toMatchObject({ status: 200, body: { instances: [] } });
    expect(keysOf((await listAll('sleepy', true, 10)).instances, 'z')).toEqual(['z1']);
    await sleep(1_000);
    expect(pods()).toBe(0);
    expect(await requestJson(url, 'PUT', '/v1/agents/sleepy/z1/state', { calls: 10 }, { 'x-colony-timeout': '20s' })).toMatchObject({ status: 200, body: { replaced: true } });
    expect(pods()).toBeGreaterThan(0);
    expect(await callOk(url, 'sleepy', 'z1', 'hello')).toMatchObject({ calls: 11 });
  });

  it('runs colony get instances, colony state and colony reminders as a user would', async () => {
    for (const key of ['cli-a', 'cli-b']) await callOk(url, 'counter', key, 'increment', { by: 1 });
    const active = await colony(['get', 'instances', 'counter']);
    expect(active).toMatchObject({ code: 0, stderr: '' });
    expect(active.stdout).toMatch(/^KEY +PARTITION +POD\n/);
    expect(active.stdout).toMatch(/\ncli-a +\d+ +counter-/);

    const first = await colony(['get', 'instances', 'alarm', '--stored', '--limit', '1']);
    expect(first.code).toBe(0);
    const more = /more: (colony get instances alarm --stored --limit 1 --cursor \S+)/.exec(first.stdout)?.[1];
    expect(more).toBeDefined();
    const second = await colony((more as string).split(' ').slice(1));
    expect(second.code).toBe(0);
    expect(second.stdout.split('\n')[1]?.split(' ')[0]).not.toBe(first.stdout.split('\n')[1]?.split(' ')[0]);

    expect(await colony(['state', 'put', 'counter/cli-a', '{"count":7}'])).toMatchObject({ code: 0, stdout: 'replaced the state of counter/cli-a\n' });
    const got = await colony(['state', 'get', 'counter/cli-a']);
    expect(got).toMatchObject({ code: 0, stdout: '{\n  "count": 7\n}\n' });
    expect(await colony(['state', 'put', 'counter/cli-b', '-'], got.stdout)).toMatchObject({ code: 0 });
    expect(await callOk(url, 'counter', 'cli-b', 'increment', { by: 1 })).toEqual({ count: 8 });
    const file = join(tmpdir(), `colony-admin-${process.pid}.json`);
    await writeFile(file, '{"count": 100}\n');
    expect(await colony(['state', 'put', 'counter/cli-a', `@${file}`])).toMatchObject({ code: 0 });
    expect(await callOk(url, 'counter', 'cli-a', 'get')).toEqual({ count: 100 });
    await rm(file);
    expect(await colony(['state', 'delete', 'counter/cli-a'])).toMatchObject({ code: 0, stdout: 'reset counter/cli-a to its initial state (its reminders are cancelled)\n' });
    expect(await callOk(url, 'counter', 'cli-a', 'get')).toEqual({ count: 0 });
    expect(await colony(['state', 'put', 'counter/cli-a', '{count'])).toMatchObject({ code: 2, stderr: expect.stringContaining('the state is not valid JSON') });

    await callOk(url, 'alarm', 'cli', 'remind', { name: 'wake', afterMs: 600_000 });
    const list = await colony(['reminders', 'list', 'alarm/cli']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME +METHOD +DUE +EVERY +FAILURES +INPUT\nwake +ring +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +- +0 +\{"name":"wake"\}\n$/);
    expect(await colony(['reminders', 'cancel', 'alarm/cli', 'wake'])).toMatchObject({ code: 0, stdout: 'cancelled the reminder "wake" of alarm/cli\n' });
    expect(await colony(['reminders', 'list', 'alarm/cli'])).toMatchObject({ code: 0, stdout: '(no reminders on alarm/cli)\n' });
    const missing = await colony(['reminders', 'cancel', 'alarm/cli', 'wake']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('DELETE /v1/agents/alarm/cli/reminders/wake: 404 not_found: alarm/cli has no reminder "wake"');
    // Active or not by now: alarm's instances go idle after 300 ms, and each colony command is a process of its own.
    expect(JSON.parse((await colony(['reminders', 'list', 'alarm/cli', '--json'])).stdout)).toEqual({ agent: 'alarm', key: 'cli', active: expect.any(Boolean), reminders: [] });
  });
});
