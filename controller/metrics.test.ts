import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ControllerMetrics, decisionReason } from './metrics.ts';

describe('decisionReason', () => {
  it.each([
    [{ from: 0, to: 2, reason: 'scale up 0 → 2: minReplicas is 2' }, 'min_replicas'],
    [{ from: 3, to: 1, reason: 'scale down 3 → 1: minReplicas is 1' }, 'min_replicas'],
    [{ from: 2, to: 10, reason: 'scale up 2 → 10: maxReplicas is 10' }, 'max_replicas'],
    [{ from: 1, to: 0, reason: 'scale down 1 → 0: no calls for 5m (scaleToZeroAfter)' }, 'scale_to_zero'],
    [{ from: 0, to: 1, reason: 'scale up 0 → 1: calls are waiting' }, 'woken'],
    [{ from: 2, to: 4, reason: 'scale up 2 → 4: 180 turns in flight' }, 'load'],
    [{ from: 2, to: 5, reason: 'scaled to 5 by request (spec.scaling.replicas); autoscaling continues from there' }, 'requested'],
  ])('%j is %s', (decision, reason) => {
    expect(decisionReason(decision)).toBe(reason);
  });
});

describe('ControllerMetrics', () => {
  it('counts changes of the pod count by direction and reason (not holds), and partition moves', async () => {
    const registry = new Registry();
    const metrics = new ControllerMetrics(registry);
    metrics.decision('default', 'shop', { at: 1, from: 0, to: 2, reason: 'scale up 0 → 2: minReplicas is 2' });
    metrics.decision('default', 'shop', { at: 2, from: 2, to: 2, reason: 'hold at 2' });
    metrics.moved('default', 'shop', 32);
    metrics.moved('default', 'shop', 0);
    metrics.watch(() => ({ namespace: 'default', statuses: [] }));
    const text = await registry.metrics();
    expect(text).toContain('colony_controller_scaling_decisions_total{namespace="default",agent="shop",direction="up",reason="min_replicas"} 1');
    expect(text).not.toContain('direction="hold"');
    expect(text).toContain('colony_controller_partition_moves_total{namespace="default",agent="shop"} 32');
  });
});
