import { describe, expect, it } from 'vitest';
import { PodMetrics } from './pod-metrics.ts';

/** The value of one sample of the exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('PodMetrics', () => {
  it('counts turns by agent, method and outcome, with bounded labels for everything that is not a method', async () => {
    const metrics = new PodMetrics();
    const counter = metrics.forAgent('counter', new Set(['increment']), () => ({ activeInstances: 3, inflight: 1, queued: 7 }));
    counter.turn('increment', 'ok', 2);
    counter.turn('increment', 'ok', 0);
    counter.turn('increment', 'method_failed', 40);
    counter.turn('reminder tick-42', 'ok', 1);
    counter.turn('reminder tock-43', 'unavailable', 1);
    counter.turn('onActivate', 'ok', 0);
    counter.turn('a method nobody declared', 'not_found', 0);
    counter.activated();
    counter.stateWritten(0.0008, 300);
    const text = (await metrics.text()).body;
    expect(sample(text, 'colony_turns_total{agent="counter",method="increment",outcome="ok"}')).toBe(2);
    expect(sample(text, 'colony_turns_total{agent="counter",method="increment",outcome="method_failed"}')).toBe(1);
    expect(sample(text, 'colony_turns_total{agent="counter",method="reminder",outcome="ok"}')).toBe(1);
    expect(sample(text, 'colony_turns_total{agent="counter",method="onActivate",outcome="ok"}')).toBe(1);
    expect(sample(text, 'colony_turns_total{agent="counter",method="other",outcome="not_found"}')).toBe(1);
    expect(text).not.toContain('tick-42');
    expect(sample(text, 'colony_reminders_fired_total{agent="counter",outcome="ok"}')).toBe(1);
    expect(sample(text, 'colony_reminders_fired_total{agent="counter",outcome="unavailable"}')).toBe(1);
    expect(sample(text, 'colony_turn_duration_seconds_bucket{le="0.001",agent="counter",method="increment"}')).toBe(1);
    expect(sample(text, 'colony_turn_duration_seconds_count{agent="counter",method="increment"}')).toBe(3);
    expect(sample(text, 'colony_activations_total{agent="counter"}')).toBe(1);
    expect(sample(text, 'colony_state_write_duration_seconds_count{agent="counter"}')).toBe(1);
    expect(sample(text, 'colony_state_write_bytes_bucket{le="256",agent="counter"}')).toBe(0);
    expect(sample(text, 'colony_state_write_bytes_bucket{le="1024",agent="counter"}')).toBe(1);
    expect(sample(text, 'colony_active_instances{agent="counter"}')).toBe(3);
    expect(sample(text, 'colony_turns_in_flight{agent="counter"}')).toBe(1);
    expect(sample(text, 'colony_mailbox_depth{agent="counter"}')).toBe(7);
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('counts calls by target and route', async () => {
    const metrics = new PodMetrics();
    metrics.call('customer', true);
    metrics.call('customer', true);
    metrics.call('account', false);
    const text = (await metrics.text()).body;
    expect(sample(text, 'colony_calls_total{target="customer",route="in_process"}')).toBe(2);
    expect(sample(text, 'colony_calls_total{target="account",route="nats"}')).toBe(1);
  });
});
