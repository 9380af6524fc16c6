import type { Platform } from '../../cli/dev/platform.ts';
import type { AgentSpec } from '../../controller/manifest/agent-spec.ts';
import { invoke, sleep } from '../harness.ts';
import type { Row } from '../harness.ts';
import { percentile } from '../stats.ts';

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Replaces one Agent's spec in the running platform (the others stay as they are). */
async function setSpec(platform: Platform, specs: AgentSpec[], next: AgentSpec): Promise<AgentSpec[]> {
  const updated = specs.map((spec) => (spec.name === next.name ? next : spec));
  await platform.controller.apply(updated);
  return updated;
}

/**
 * Cold start: an Agent at zero pods gets a call through the gateway; the time
 * until its response covers the demand signal, the autoscaler, starting the
 * pod process, loading the agent, placement and the call itself.
 */
export async function coldStart(platform: Platform, specs: AgentSpec[], samples: number): Promise<Row> {
  const pods = (): number => platform.driver.pods('default', 'sleepy').length;
  let current = specs;
  const sleepy = specs.find((spec) => spec.name === 'sleepy') as AgentSpec;
  const millis: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    // Down to zero on purpose (manual 0), then back to autoscaling with minReplicas 0: it stays at zero until called.
    current = await setSpec(platform, current, { ...sleepy, scaling: { ...sleepy.scaling, mode: 'manual', replicas: 0 } });
    await until(() => pods() === 0, 30_000, 'sleepy to reach zero pods');
    current = await setSpec(platform, current, sleepy);
    await sleep(200);
    const started = performance.now();
    await invoke(platform.gatewayUrl, 'sleepy', `cold-${i}`, 'hello');
    millis.push(performance.now() - started);
  }
  const p50 = percentile(millis, 50);
  return {
    name: `cold start from zero, through the gateway (${samples}×)`,
    p50Ms: p50,
    p99Ms: Math.max(...millis),
    compare: `samples: ${millis.map((m) => m.toFixed(0)).join(', ')} ms (p99 column: max)`,
    target: 'p50 < 500 ms',
    pass: p50 < 500,
  };
}

/**
 * The pause a key sees while its partition moves: keys are called one call
 * after another while the counter Agent scales 1 → 2 → 1 (half its
 * partitions move each way); the latencies of calls in flight around the
 * moves are compared with steady state.
 */
export async function handoffPause(platform: Platform, specs: AgentSpec[]): Promise<Row> {
  const counter = specs.find((spec) => spec.name === 'counter') as AgentSpec;
  const keys = Array.from({ length: 16 }, (_, i) => `move-${i}`);
  const latencies: { at: number; ms: number }[] = [];
  let running = true;
  const loops = keys.map(async (key) => {
    while (running) {
      const started = performance.now();
      await invoke(platform.gatewayUrl, 'counter', key, 'increment', { by: 1 }, '20s');
      latencies.push({ at: started, ms: performance.now() - started });
    }
  });
  let current = specs;
  const moves: [number, number][] = [];
  const scale = async (replicas: number): Promise<void> => {
    const from = performance.now();
    current = await setSpec(platform, current, { ...counter, scaling: { ...counter.scaling, mode: 'manual', replicas } });
    await platform.controller.waitSettled(30_000);
    moves.push([from, performance.now()]);
  };
  await sleep(1_000);
  for (let round = 0; round < 3; round += 1) {
    await scale(2);
    await sleep(700);
    await scale(1);
    await sleep(700);
  }
  running = false;
  await Promise.all(loops);
  await setSpec(platform, current, counter);
  const during = latencies.filter((l) => moves.some(([from, to]) => l.at >= from - 50 && l.at <= to)).map((l) => l.ms);
  const steady = latencies.filter((l) => !moves.some(([from, to]) => l.at >= from - 500 && l.at <= to + 500)).map((l) => l.ms);
  const p99 = percentile(during, 99);
  return {
    name: 'call latency while partitions move (6 moves)',
    p50Ms: percentile(during, 50),
    p99Ms: p99,
    compare: `steady p50 ${percentile(steady, 50).toFixed(1)} / p99 ${percentile(steady, 99).toFixed(1)} ms; worst ${Math.max(...during).toFixed(0)} ms; ${during.length} calls`,
    target: 'p99 < 250 ms',
    pass: p99 < 250,
  };
}
