import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { RegistryAgent } from '../agent-runtime/client/registry-view.ts';
import { GatewayMetrics, MAX_METHOD_LABELS_PER_AGENT } from './metrics.ts';

const spec = { namespace: 'default', name: 'counter', partitions: 4, minReplicas: 0, maxReplicas: 3, updatedAt: 0 };
const withApi: RegistryAgent = {
  spec,
  api: { namespace: 'default', name: 'counter', methods: { get: {}, increment: {} }, updatedAt: 0 },
};
const withoutApi: RegistryAgent = { spec, api: undefined };

async function counterLines(registry: Registry): Promise<string[]> {
  const text = await registry.getSingleMetricAsString('colony_gateway_requests_total');
  return text.split('\n').filter((line) => line.startsWith('colony_gateway_requests_total{'));
}

describe('GatewayMetrics', () => {
  it('counts calls and their duration by agent, method and status', async () => {
    const registry = new Registry();
    const metrics = new GatewayMetrics(registry);
    metrics.observe(withApi, 'counter', 'get', 200, 0.002);
    metrics.observe(withApi, 'counter', 'get', 200, 0.004);
    metrics.observe(withApi, 'counter', 'increment', 500, 0.1);
    expect(await counterLines(registry)).toEqual([
      'colony_gateway_requests_total{agent="counter",method="get",status="200"} 2',
      'colony_gateway_requests_total{agent="counter",method="increment",status="500"} 1',
    ]);
    const histogram = await registry.getSingleMetricAsString('colony_gateway_request_duration_seconds');
    expect(histogram).toContain('colony_gateway_request_duration_seconds_bucket{le="0.0025",agent="counter",method="get",status="200"} 1');
    expect(histogram).toContain('colony_gateway_request_duration_seconds_bucket{le="0.0005",');
    expect(histogram).toContain('colony_gateway_request_duration_seconds_bucket{le="30",');
    expect(histogram).toContain('colony_gateway_request_duration_seconds_count{agent="counter",method="get",status="200"} 2');
  });

  it('labels unknown agents and methods "unknown", so bad URLs add no series', async () => {
    const registry = new Registry();
    const metrics = new GatewayMetrics(registry);
    for (let i = 0; i < 100; i += 1) {
      metrics.observe(undefined, `random-${i}`, `m${i}`, 404, 0.001);
      metrics.observe(withApi, 'counter', `nope${i}`, 404, 0.001);
    }
    expect(await counterLines(registry)).toEqual([
      'colony_gateway_requests_total{agent="unknown",method="unknown",status="404"} 100',
      'colony_gateway_requests_total{agent="counter",method="unknown",status="404"} 100',
    ]);
  });

  it('gives an agent without a published API a bounded number of method labels', async () => {
    const registry = new Registry();
    const metrics = new GatewayMetrics(registry);
    for (let i = 0; i < MAX_METHOD_LABELS_PER_AGENT + 10; i += 1) metrics.observe(withoutApi, 'counter', `m${i}`, 200, 0.001);
    metrics.observe(withoutApi, 'counter', 'm0', 200, 0.001);
    metrics.observe(withoutApi, 'counter', 'not-a-method', 404, 0.001);
    const lines = await counterLines(registry);
    expect(lines).toHaveLength(MAX_METHOD_LABELS_PER_AGENT + 2);
    expect(lines).toContain('colony_gateway_requests_total{agent="counter",method="m0",status="200"} 2');
    expect(lines).toContain('colony_gateway_requests_total{agent="counter",method="other",status="200"} 10');
    expect(lines).toContain('colony_gateway_requests_total{agent="counter",method="unknown",status="404"} 1');
  });
});
