import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES_DIR } from '../helpers/colony-dev.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';

/** The sum of every sample of `name` whose labels include all of `labels`. */
function total(texts: string[], name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      const [series, value] = [line.slice(0, line.lastIndexOf(' ')), line.slice(line.lastIndexOf(' ') + 1)];
      if (Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`))) sum += Number(value);
    }
  }
  return sum;
}

describe("every pod's /metrics (examples/shop and examples/account)", () => {
  let harness: TestPlatform;
  /** Each pod's health port, from its "pod started" line. */
  const ports = new Map<string, number>();

  beforeAll(async () => {
    harness = await startTestPlatform('pod-metrics', [join(EXAMPLES_DIR, 'shop'), join(EXAMPLES_DIR, 'account')], {
      onPodOutput: (pod, line) => {
        if (!line.startsWith('{')) return;
        const parsed = JSON.parse(line) as { msg?: string; healthPort?: number };
        if (parsed.msg === 'pod started' && parsed.healthPort) ports.set(pod.podId, parsed.healthPort);
      },
    });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  const call = async (agent: string, key: string, method: string, input?: unknown): Promise<Response> =>
    fetch(`${harness.platform.gatewayUrl}/v1/agents/${agent}/${encodeURIComponent(key)}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: input === undefined ? '' : JSON.stringify(input),
    });
  const scrape = async (): Promise<string[]> => {
    expect(ports.size).toBe(4);
    return Promise.all([...ports.values()].map(async (port) => {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      return response.text();
    }));
  };

  it('counts turns by method and outcome, activations, state writes, and calls in-process or over NATS', async () => {
    for (let i = 1; i <= 5; i += 1) expect((await call('purchase', `tenant7:${i}`, 'place', { amount: 10 })).status).toBe(200);
    expect((await call('purchase', 'tenant7:1', 'place', { amount: 10 })).status).toBe(409);
    for (let i = 0; i < 20; i += 1) expect((await call('account', `from-${i}`, 'deposit', { amount: 5 })).status).toBe(200);
    for (let i = 0; i < 20; i += 1) expect((await call('account', `from-${i}`, 'transfer', { to: `to-${i}`, amount: 5 })).status).toBe(200);

    const texts = await scrape();
    expect(total(texts, 'colony_turns_total', { agent: 'purchase', method: 'place', outcome: 'ok' })).toBe(5);
    expect(total(texts, 'colony_turns_total', { agent: 'purchase', method: 'place', outcome: 'failed_precondition' })).toBe(1);
    expect(total(texts, 'colony_turns_total', { agent: 'customer', method: 'addOrder', outcome: 'ok' })).toBe(5);
    expect(total(texts, 'colony_turn_duration_seconds_count', { agent: 'customer', method: 'addOrder' })).toBe(5);
    // Every purchase calls its customer on its own pod; a transfer's deposit crosses pods when the two keys' partitions do.
    expect(total(texts, 'colony_calls_total', { target: 'customer', route: 'in_process' })).toBe(5);
    expect(total(texts, 'colony_calls_total', { target: 'customer', route: 'nats' })).toBe(0);
    const transfers = total(texts, 'colony_calls_total', { target: 'account', route: 'in_process' }) + total(texts, 'colony_calls_total', { target: 'account', route: 'nats' });
    expect(transfers).toBe(20);
    expect(total(texts, 'colony_calls_total', { target: 'account', route: 'nats' })).toBeGreaterThan(0);
    expect(total(texts, 'colony_activations_total', { agent: 'account' })).toBe(40);
    expect(total(texts, 'colony_active_instances', { agent: 'account' })).toBe(40);
    // 20 deposits, 20 transfers (the withdrawal) and their 20 deposits into the receiving accounts: one write each (durability: turn).
    expect(total(texts, 'colony_state_write_duration_seconds_count', { agent: 'account' })).toBe(60);
    expect(total(texts, 'colony_state_write_bytes_count', { agent: 'account' })).toBe(60);
    expect(total(texts, 'colony_mailbox_depth', { agent: 'account' })).toBe(0);
  });

  it("serves the controller's metrics on colony dev's gateway: pods wanted and ready, partitions, decisions by reason, moves", async () => {
    const text = await (await fetch(`${harness.platform.gatewayUrl}/metrics`)).text();
    const unit = (name: string, agent: string): number => total([text], name, { namespace: 'default', agent });
    expect(unit('colony_controller_desired_pods', 'shop')).toBe(2);
    expect(unit('colony_controller_ready_pods', 'shop')).toBe(2);
    expect(unit('colony_controller_partitions', 'shop')).toBe(32);
    expect(unit('colony_controller_partitions_served', 'shop')).toBe(32);
    expect(unit('colony_controller_desired_pods', 'account')).toBe(2);
    expect(total([text], 'colony_controller_scaling_decisions_total', { agent: 'shop', direction: 'up', reason: 'min_replicas' })).toBe(1);
    // Every partition got its first owner once.
    expect(unit('colony_controller_partition_moves_total', 'shop')).toBeGreaterThanOrEqual(32);
    expect(text).toContain('colony_gateway_requests_total');
  });
});
