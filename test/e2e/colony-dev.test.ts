import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLONY_BIN, EXAMPLES_DIR, FIXTURES_DIR, startColonyDev } from '../helpers/colony-dev.ts';
import type { ColonyDev } from '../helpers/colony-dev.ts';

/** The README's promise: `colony dev` runs the examples and the gateway answers as documented. */
describe('colony dev with the examples', () => {
  let dev: ColonyDev;

  beforeAll(async () => {
    dev = await startColonyDev({ dirs: [EXAMPLES_DIR, FIXTURES_DIR] });
  });

  afterAll(async () => {
    expect(await dev?.stop()).toBe(0);
  });

  it('increments a counter: POST .../counter/alice/increment {"by":2} → 200 {"count":2}', async () => {
    const response = await dev.call('counter', 'alice', 'increment', { by: 2 });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ count: 2 });
    const get = await dev.call('counter', 'alice', 'get');
    expect(await get.json()).toEqual({ count: 2 });
  });

  it('lists agents with their methods and input schemas', async () => {
    const response = await fetch(`${dev.url}/v1/agents`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { agents: { name: string; methods: Record<string, { input?: unknown }> }[] };
    const counter = body.agents.find((a) => a.name === 'counter');
    expect(Object.keys(counter?.methods ?? {}).sort()).toEqual(['get', 'increment']);
    expect(counter?.methods.increment?.input).toMatchObject({ type: 'object' });
  });

  it('loses no increment when hundreds run in parallel on a few keys', async () => {
    const keys = ['p0', 'p1', 'p2', 'p3'];
    const perKey = 100;
    const calls = keys.flatMap((key) => Array.from({ length: perKey }, () => dev.call('counter', key, 'increment', { by: 1 })));
    const responses = await Promise.all(calls);
    expect(responses.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const counts = await Promise.all(responses.map((r) => r.json() as Promise<{ count: number }>));
    for (const key of keys) {
      expect(await (await dev.call('counter', key, 'get')).json()).toEqual({ count: perKey });
    }
    // Each key saw every count from 1 to perKey exactly once: no increment ran twice or was lost.
    expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual(
      Array.from({ length: perKey }, (_, i) => i + 1).flatMap((n) => keys.map(() => n)),
    );
  });

  it('transfers between accounts by a direct agent-to-agent call', async () => {
    expect((await dev.call('account', 'ann', 'deposit', { amount: 100 })).status).toBe(200);
    const transfer = await dev.call('account', 'ann', 'transfer', { to: 'ben', amount: 30 });
    expect(transfer.status).toBe(200);
    expect(await transfer.json()).toEqual({ balance: 70 });
    expect(await (await dev.call('account', 'ben', 'balance')).json()).toEqual({ balance: 30 });
  });

  it('refuses a transfer beyond the balance with 409 and moves nothing', async () => {
    await dev.call('account', 'cat', 'deposit', { amount: 10 });
    const response = await dev.call('account', 'cat', 'transfer', { to: 'dan', amount: 11 });
    expect(response.status).toBe(409);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('failed_precondition');
    expect(body.error.message).toContain('insufficient funds');
    expect(await (await dev.call('account', 'cat', 'balance')).json()).toEqual({ balance: 10 });
    expect(await (await dev.call('account', 'dan', 'balance')).json()).toEqual({ balance: 0 });
  });

  it('keeps many concurrent transfers consistent (money is conserved) and never deadlocks', async () => {
    const accounts = ['m0', 'm1', 'm2', 'm3', 'm4'];
    for (const key of accounts) await dev.call('account', key, 'deposit', { amount: 1000 });
    // Transfers in opposite directions between two accounts wait on each other; Colony refuses one
    // of them with 409 aborted at once (rather than both timing out), and the client retries it as
    // the README says: with exponential backoff and jitter. (A fixed short pause livelocks 100
    // contending clients when the machine is busy: a full suite once saw 50 attempts refused.)
    const transfer = async (i: number): Promise<string> => {
      const from = accounts[i % 5] as string;
      const to = accounts[(i + 1 + (i % 4)) % 5] as string;
      const deadline = Date.now() + 60_000;
      for (let attempt = 0; ; attempt += 1) {
        const response = await dev.call('account', from, 'transfer', { to, amount: 7 }, { 'idempotency-key': `t-${i}` });
        const body = (await response.json()) as { error?: { code: string } };
        if (response.status === 200) return 'ok';
        if (body.error?.code !== 'aborted' || Date.now() > deadline) return `${response.status} ${body.error?.code} after ${attempt + 1} attempts`;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(500, 5 * 2 ** attempt)));
      }
    };
    const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => transfer(i)));
    expect(outcomes.filter((s) => s !== 'ok')).toEqual([]);
    let total = 0;
    for (const key of accounts) total += ((await (await dev.call('account', key, 'balance')).json()) as { balance: number }).balance;
    expect(total).toBe(5000);
  });

  it('lets A → B → A call chains complete across pods (reentrancy)', async () => {
    const response = await dev.call('pingpong', 'left', 'ping', { peer: 'right', rounds: 5 }, { 'x-colony-timeout': '5s' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ trail: ['left', 'right', 'left', 'right', 'left', 'right'] });
  });

  it('answers every documented error with its status and a JSON body', async () => {
    const error = async (response: Response): Promise<{ status: number; code: string; message: string }> => {
      const body = (await response.json()) as { error: { code: string; message: string } };
      return { status: response.status, ...body.error };
    };
    const invalidJson = await fetch(`${dev.url}/v1/agents/counter/x/increment`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"by":',
    });
    expect(await error(invalidJson)).toMatchObject({ status: 400, code: 'invalid_argument' });
    expect(await error(await dev.call('counter', 'x', 'increment', { by: 'two' }))).toMatchObject({
      status: 400,
      message: expect.stringContaining('"by"'),
    });
    expect(await error(await dev.call('nosuchagent', 'x', 'get'))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await error(await dev.call('counter', 'x', 'nosuchmethod'))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await error(await dev.call('counter', 'k'.repeat(257), 'get'))).toMatchObject({ status: 400, code: 'invalid_argument' });
    const huge = await dev.call('counter', 'x', 'increment', { by: 1, pad: 'x'.repeat(2 * 1024 * 1024) });
    expect(await error(huge)).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(await error(await dev.call('faulty', 'x', 'explode'))).toMatchObject({
      status: 500,
      code: 'method_failed',
      message: expect.stringContaining('the flux capacitor overheated'),
    });
    expect(await error(await dev.call('faulty', 'x', 'throwString'))).toMatchObject({ status: 500, message: expect.stringContaining('a bare string') });
    expect(await error(await dev.call('faulty', 'x', 'bigint'))).toMatchObject({ status: 500 });
    expect(await error(await dev.call('faulty', 'x', 'nap', { ms: 5_000 }, { 'x-colony-timeout': '200ms' }))).toMatchObject({
      status: 504,
      code: 'deadline_exceeded',
    });
    const unplaced = await dev.call('unplaced', 'x', 'hello', undefined, { 'x-colony-timeout': '300ms' });
    expect(unplaced.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await error(unplaced)).toMatchObject({ status: 503, code: 'unavailable' });
  });

  it('keeps the instance and the pod serving after a method throws, times out or hangs', async () => {
    await dev.call('faulty', 'steady', 'explode');
    await dev.call('faulty', 'steady', 'timebomb');
    await dev.call('faulty', 'steady', 'hang', undefined, { 'x-colony-timeout': '100ms' });
    const after = await dev.call('faulty', 'steady', 'nap', { ms: 1 });
    expect(after.status).toBe(200);
    // explode's +1000 was rolled back; only the nap counted.
    expect(await after.json()).toEqual({ turns: 1 });
  });

  it('accepts keys with slashes, spaces and non-ASCII characters', async () => {
    const key = 'tenant/7 ünïcødé ✓';
    await dev.call('counter', key, 'increment', { by: 3 });
    expect(await (await dev.call('counter', key, 'get')).json()).toEqual({ count: 3 });
    expect(await (await dev.call('counter', 'tenant', 'get')).json()).toEqual({ count: 0 });
  });

  it('returns the stored result for a retried Idempotency-Key instead of running again', async () => {
    const headers = { 'idempotency-key': 'inc-once-1' };
    const first = await dev.call('counter', 'idem', 'increment', { by: 5 }, headers);
    const retry = await dev.call('counter', 'idem', 'increment', { by: 5 }, headers);
    expect(await first.json()).toEqual({ count: 5 });
    expect(await retry.json()).toEqual({ count: 5 });
    expect(await (await dev.call('counter', 'idem', 'get')).json()).toEqual({ count: 5 });
  });

  it('shows agents, pods and scaling decisions: GET /v1/agents/{agent}/status and colony get', async () => {
    // pingpong: two pods by its manifest, and too little load in this suite to scale. (counter and
    // account may have scaled up under the parallel tests above, as they should.)
    const statusUrl = `${dev.url}/v1/agents/pingpong/status`;
    await expect
      .poll(async () => ((await (await fetch(statusUrl)).json()) as { readyReplicas: number }).readyReplicas, { timeout: 5_000 })
      .toBe(2);
    const status = (await (await fetch(statusUrl)).json()) as {
      desiredReplicas: number;
      partitionsServed: number;
      pods: { state: string; served: number }[];
      decisions: { from: number; to: number; reason: string }[];
    };
    expect(status.desiredReplicas).toBe(2);
    expect(status.partitionsServed).toBe(64);
    expect(status.pods.map((p) => [p.state, p.served])).toEqual([
      ['running', 32],
      ['running', 32],
    ]);
    expect(status.decisions[0]).toMatchObject({ from: 0, to: 2 });
    expect((await fetch(`${dev.url}/v1/agents/nosuch/status`)).status).toBe(404);

    const run = promisify(execFile);
    const agents = await run(process.execPath, [COLONY_BIN, 'get', 'agents', '--url', dev.url]);
    // examples/shop is a placement group: a GROUP column, "-" for Agents of their own.
    expect(agents.stdout).toMatch(/^NAME\s+GROUP\s+WANTED\s+READY\s+PARTITIONS\s+INSTANCES\s+WHY/m);
    expect(agents.stdout).toMatch(/^pingpong\s+-\s+2\s+2\s+64\/64\s+\d+\s+/m);
    expect(agents.stdout).toMatch(/^customer\s+shop\s+2\s+2\s+32\/32\s+\d+\s+/m);
    expect(agents.stdout).toMatch(/^purchase\s+shop\s+2\s+2\s+32\/32\s+\d+\s+/m);
    const groupPods = await run(process.execPath, [COLONY_BIN, 'get', 'pods', '--url', dev.url]);
    // The group's two pods host both Agents: listed once each, under the group.
    expect(groupPods.stdout.split('\n').filter((row) => /^shop-[0-9a-f]+\s+shop\s+running\s+16\s+/.test(row))).toHaveLength(2);
    const pods = await run(process.execPath, [COLONY_BIN, 'get', 'pods', 'pingpong', '--url', dev.url]);
    const rows = pods.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^POD\s+AGENT\s+STATE\s+PARTITIONS\s+INFLIGHT\s+QUEUED\s+INSTANCES\s+CPU\s+HEAP\s+RESTARTS\s+AGE$/);
    expect(rows.slice(1)).toEqual([
      expect.stringMatching(/^pingpong-[0-9a-f]+\s+pingpong\s+running\s+32\s+/),
      expect.stringMatching(/^pingpong-[0-9a-f]+\s+pingpong\s+running\s+32\s+/),
    ]);
  });

  it('exposes health, readiness and metrics', async () => {
    expect((await fetch(`${dev.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${dev.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${dev.url}/metrics`)).text();
    expect(metrics).toMatch(/colony_gateway_requests_total\{[^}]*agent="counter"[^}]*method="increment"[^}]*status="200"[^}]*\} \d+/);
    expect(metrics).toContain('colony_gateway_request_duration_seconds_bucket');
  });
});
