import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../helpers/load.ts';
import { cluster } from './cluster-access.ts';
import type { Cluster } from './cluster-access.ts';

const COUNTER = fileURLToPath(new URL('../../examples/k8s/counter.yaml', import.meta.url));
const report = (line: string): void => void process.stderr.write(`[realnode] ${line}\n`);

/**
 * The chart with values-cluster.yaml: three NATS servers in a JetStream
 * cluster, Colony's buckets replicated on all three, two controllers and two
 * gateways. On one node the servers' required anti-affinity is dropped
 * (--set nats.affinity=null); everything else is as in production.
 */
describe('Colony on a real node, cluster values (three NATS servers, R3 KV)', () => {
  let c: Cluster;

  beforeAll(async () => {
    c = cluster();
    report(`helm upgrade --install --wait (cluster values): ${((await c.install('cluster')) / 1000).toFixed(1)} s`);
  });

  afterAll(async () => {
    if (c && (await c.helm(['status', 'colony', '-n', 'colony-system'])).code === 0) await c.uninstall();
  });

  it('runs three NATS servers, two controllers and two gateways, and serves the counter', async () => {
    const ready = await c.must(['-n', 'colony-system', 'get', 'statefulset/colony-nats', 'deploy/colony-controller', 'deploy/colony-gateway', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.readyReplicas} {end}']);
    expect(ready.trim().split(' ').sort()).toEqual(['colony-controller=2', 'colony-gateway=2', 'colony-nats=3']);
    await c.must(['apply', '-f', COUNTER]);
    await expect.poll(async () => (await c.call('counter', 'alice', 'increment', { by: 2 })).status, { timeout: 90_000, interval: 500 }).toBe(200);
    expect((await c.call('counter', 'alice', 'get')).body).toEqual({ count: 2 });
  });

  it('keeps every acknowledged increment when a NATS server is killed under load (R3 buckets)', async () => {
    const ip = await c.must(['-n', 'colony-system', 'get', 'service', 'colony-nats', '-o', 'jsonpath={.spec.clusterIP}']);
    const token = Buffer.from(await c.must(['-n', 'colony-system', 'get', 'secret', 'colony-nats-auth', '-o', 'jsonpath={.data.token}']), 'base64').toString();
    const nc = await connect({ servers: `nats://${ip}:4222`, token });
    try {
      const jsm = await jetstreamManager(nc);
      const state = await jsm.streams.info('KV_colony_state');
      expect(state.config.num_replicas).toBe(3);
      expect(state.cluster?.replicas?.length).toBe(2);
    } finally {
      await nc.close();
    }
    const keys = Array.from({ length: 8 }, (_, i) => `n${i}`);
    const load = startLoad(c.gateway, { agent: 'counter', method: 'increment', keys, workers: 4 });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await c.must(['-n', 'colony-system', 'delete', 'pod', 'colony-nats-1', '--grace-period=0', '--force']);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await expect.poll(() => c.must(['-n', 'colony-system', 'get', 'statefulset/colony-nats', '-o', 'jsonpath={.status.readyReplicas}']), { timeout: 120_000, interval: 1_000 }).toBe('3');
    await load.stop();
    report(`a NATS server killed under load: ${load.sent} calls, ${load.failures.length} failed (${[...new Set(load.failures.map((f) => f.status))].join(', ')})`);
    for (const key of keys) {
      const count = ((await c.call('counter', key, 'get')).body as { count: number }).count;
      const acknowledged = load.acknowledged.get(key) ?? 0;
      const failed = load.failures.filter((f) => f.key === key).length;
      expect(count, `counter/${key}`).toBeGreaterThanOrEqual(acknowledged);
      expect(count, `counter/${key}`).toBeLessThanOrEqual(acknowledged + failed);
    }
    expect(load.acknowledged.size).toBe(keys.length);
  });
});
