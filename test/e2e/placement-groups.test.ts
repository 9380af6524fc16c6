import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentSpec } from '../../controller/manifest/agent-spec.ts';
import { placementUnits } from '../../controller/placement/groups.ts';
import type { PlacementUnit } from '../../controller/placement/groups.ts';
import { EXAMPLES_DIR, FIXTURES_DIR } from '../helpers/colony-dev.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';

interface Placed {
  purchase: string;
  amount: number;
  customer: { orders: number; spent: number };
  pod: string;
  customerPod: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('placement groups: a purchase and its customer share a pod (examples/shop)', () => {
  let harness: TestPlatform;
  let url: string;
  /** Purchases placed so far, per tenant: what each customer must have counted, exactly once. */
  const placed = new Map<string, number>();
  let next = 0;

  beforeAll(async () => {
    harness = await startTestPlatform('groups', join(EXAMPLES_DIR, 'shop'));
    url = harness.platform.gatewayUrl;
  });

  afterAll(async () => {
    await harness?.stop();
  });

  const call = (agent: string, key: string, method: string, input?: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${url}/v1/agents/${agent}/${encodeURIComponent(key)}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-colony-timeout': '20s', ...headers },
      body: input === undefined ? '' : JSON.stringify(input),
    });

  /** Places a new purchase of `tenant`, retrying refusals the README calls retryable; returns what place answered. */
  const place = async (tenant: string): Promise<Placed> => {
    next += 1;
    const key = `${tenant}:${next}`;
    const response = await call('purchase', key, 'place', { amount: 10 }, { 'idempotency-key': `place-${key}` });
    const body = (await response.json()) as Placed;
    expect(response.status, `purchase/${key}: ${JSON.stringify(body)}`).toBe(200);
    placed.set(tenant, (placed.get(tenant) ?? 0) + 1);
    return body;
  };

  const tenants = Array.from({ length: 24 }, (_, i) => `tenant${i}`);
  const groupPods = (): string[] => harness.platform.driver.pods('default', 'shop').map((pod) => pod.podId);
  const scaleTo = async (replicas: number): Promise<void> => {
    const specs = harness.specs.map((spec): AgentSpec => (spec.name === 'customer' ? { ...spec, scaling: { ...spec.scaling, mode: 'manual', replicas } } : spec));
    await harness.platform.controller.apply(specs);
    await harness.platform.controller.waitSettled(30_000);
  };

  it('runs one set of pods for the group, each hosting both Agents, and every purchase calls its customer on its own pod', async () => {
    expect(groupPods()).toHaveLength(2);
    expect(harness.platform.driver.pods('default', 'purchase')).toEqual([]);
    expect(harness.platform.driver.pods('default', 'customer')).toEqual([]);
    const seen = new Set<string>();
    for (const tenant of tenants) {
      const body = await place(tenant);
      expect(body.customerPod).toBe(body.pod);
      expect(groupPods()).toContain(body.pod);
      seen.add(body.pod);
    }
    // The tenants are spread over both pods: co-location is per placement key, not one pod for all.
    expect(seen.size).toBe(2);
  });

  it('keeps the semantics of a call over NATS: a repeated call id runs once, an error reaches the caller, the state is durable', async () => {
    const first = await call('purchase', 'tenant0:repeat', 'place', { amount: 7 }, { 'idempotency-key': 'repeat-1' });
    const again = await call('purchase', 'tenant0:repeat', 'place', { amount: 7 }, { 'idempotency-key': 'repeat-1' });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(await first.json());
    placed.set('tenant0', (placed.get('tenant0') ?? 0) + 1);
    const twice = await call('purchase', 'tenant0:repeat', 'place', { amount: 7 });
    expect(twice.status).toBe(409);
    expect(await twice.json()).toEqual({ error: { code: 'failed_precondition', message: 'purchase tenant0:repeat is already placed' } });
    const customer = (await (await call('customer', 'tenant0', 'get')).json()) as { orders: number; spent: number };
    expect(customer.orders).toBe(placed.get('tenant0'));
  });

  it('shows the group in each member: the same pods and partitions, the group, the placement key', async () => {
    const statuses = harness.platform.controller.status();
    expect(statuses.map((s) => [s.name, s.group, s.partitions])).toEqual([
      ['customer', 'shop', 32],
      ['purchase', 'shop', 32],
    ]);
    expect(statuses[0]?.pods.map((p) => p.podId).sort()).toEqual(statuses[1]?.pods.map((p) => p.podId).sort());
    const agents = (await (await fetch(`${url}/v1/agents`)).json()) as { agents: { name: string; group?: string; keyDelimiter?: string; partitions: number }[] };
    expect(agents.agents.map((a) => [a.name, a.group, a.keyDelimiter, a.partitions])).toEqual([
      ['customer', 'shop', undefined, 32],
      ['purchase', 'shop', ':', 32],
    ]);
    // The controller publishes statuses every second.
    const status = async (): Promise<{ group?: string; pods: unknown[] }> => (await fetch(`${url}/v1/agents/purchase/status`)).json() as Promise<{ group?: string; pods: unknown[] }>;
    await expect.poll(async () => (await status()).pods.length, { timeout: 5_000 }).toBe(2);
    expect((await status()).group).toBe('shop');
  });

  it('scales, drains and moves the group as one: co-located before, during and after, every purchase counted once', async () => {
    let stop = false;
    const failures: string[] = [];
    const apart: string[] = [];
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i += 1) {
        const tenant = tenants[(w * 7 + i) % tenants.length] as string;
        try {
          const body = await place(tenant);
          if (body.pod !== body.customerPod) apart.push(`${body.purchase}: ${body.pod} / ${body.customerPod}`);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const load = Promise.all([0, 1, 2, 3].map(worker));
    await scaleTo(3);
    expect(groupPods()).toHaveLength(3);
    await sleep(500);
    await scaleTo(1);
    await sleep(500);
    stop = true;
    await load;
    expect(failures).toEqual([]);
    // While a partition moves the two Agents may briefly be on two pods (each follows the same table); never after.
    expect(groupPods()).toHaveLength(1);
    const after = await place('tenant3');
    expect(after.customerPod).toBe(after.pod);
    for (const tenant of tenants) {
      const customer = (await (await call('customer', tenant, 'get')).json()) as { orders: number };
      expect(customer.orders, tenant).toBe(placed.get(tenant) ?? 0);
    }
    process.stderr.write(`[placement-groups] scaling 2 → 3 → 1 under load: ${[...placed.values()].reduce((a, b) => a + b, 0)} purchases, ${apart.length} placed while the pair was apart\n`);
  });

  it('moves both Agents of a killed pod to the same new pod, with their state', async () => {
    await scaleTo(2);
    const victim = (await place('tenant5')).pod;
    expect(harness.platform.driver.signal(victim, 'SIGKILL')).toBe(true);
    await sleep(200);
    const body = await place('tenant5');
    expect(body.pod).not.toBe(victim);
    expect(body.customerPod).toBe(body.pod);
    expect(body.customer.orders).toBe(placed.get('tenant5'));
    await harness.platform.controller.waitSettled(30_000);
  });
});

describe('a turn in flight when its pod hands the partition over (test/fixtures/agents/pair)', () => {
  let harness: TestPlatform;

  beforeAll(async () => {
    harness = await startTestPlatform('pair', join(FIXTURES_DIR, 'pair'));
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('does not wait for its deadline on a call to its group: the call is refused, the turn rolls back and runs again on the next pod', async () => {
    const unit = placementUnits(harness.specs).units[0] as PlacementUnit;
    const [pod] = harness.platform.driver.pods('default', 'pair');
    if (!pod) throw new Error('the group pair has no pod');
    const started = Date.now();
    const visit = fetch(`${harness.platform.gatewayUrl}/v1/agents/guest/r1:ann/visit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-colony-timeout': '20s' },
      body: JSON.stringify({ waitMs: 1_500 }),
    });
    await sleep(300);
    // The pod drains: it hands every partition over once its turns end — the visit's among them, whose
    // call to host/r1 comes after the handover began. Over NATS that call would wait for the next owner,
    // which waits for this pod: until the deadline.
    await harness.platform.driver.scale(unit, 1, [pod.podId]);
    const response = await visit;
    const elapsed = Date.now() - started;
    const body = (await response.json()) as { visits: number; pod: string; hostPod: string };
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.pod).not.toBe(pod.podId);
    expect(body.hostPod).toBe(body.pod);
    // Rolled back on the draining pod, so counted once: by the run on the next pod.
    expect(body.visits).toBe(1);
    expect(elapsed).toBeLessThan(10_000);
    process.stderr.write(`[placement-groups] a visit whose pod drained mid-turn answered after ${elapsed} ms\n`);
  });
});

describe('a placement group that cannot run', () => {
  it('is refused before anything starts when it has the name of an Agent outside it, naming both', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'colony-group-refused-'));
    try {
      const agent = (name: string, group?: string): string =>
        `apiVersion: colony.dev/v1alpha1\nkind: Agent\nmetadata:\n  name: ${name}\nspec:\n  module: ${join(EXAMPLES_DIR, 'counter', 'counter.ts')}\n${group ? `  placement:\n    group: ${group}\n` : ''}`;
      await writeFile(join(dir, 'agents.yaml'), [agent('counter'), agent('tally', 'counter')].join('---\n'));
      await expect(startTestPlatform('group-refused', dir)).rejects.toThrow(
        /agent tally \(.*agents\.yaml \(document 2\)\): placement group "counter" has the name of Agent counter, which is not in it; rename the group \(spec\.placement\.group\)/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
