import { connect } from '@nats-io/transport-node';
import { Catalog } from '../../agent-runtime/activation/catalog.ts';
import { loadAgent } from '../../agent-runtime/activation/loaded-agent.ts';
import { openBuckets } from '../../agent-runtime/client/buckets.ts';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import { defineAgent } from '../../agent-runtime/sdk/agent.ts';
import { KvStateStore } from '../../agent-runtime/state/state-store.ts';
import type { Platform } from '../../cli/dev/platform.ts';
import { child, summarise } from '../harness.ts';
import type { Row } from '../harness.ts';

const counter = defineAgent({ state: () => ({ count: 0 }), methods: { get: (ctx) => ctx.state } });

/**
 * Activation of a cold instance whose state is in JetStream KV: the first call
 * to each of `count` keys (one KV read, the activation, the turn), next to a
 * second call to the same, now warm, instances. Runs the runtime's catalog in
 * this process against the platform's nats-server.
 */
export async function activation(platform: Platform, count: number): Promise<Row[]> {
  const nc = await connect({ servers: platform.natsUrl, noAsyncTraces: true });
  const { state } = await openBuckets(nc);
  const store = new KvStateStore(state, 'default', 'bench-activation');
  const keys = Array.from({ length: count }, (_, i) => `cold-${i}`);
  for (const key of keys) await store.save(key, `{"v":1,"state":{"count":${key.length}},"calls":[]}`, (await store.load(key)).revision);
  const catalog = new Catalog({
    agent: loadAgent('bench-activation', counter),
    store,
    durability: 'turn',
    caller: { call: async () => undefined },
    log: createLogger({ sink: () => undefined }),
  });
  const time = async (key: string): Promise<number> => {
    const started = process.hrtime.bigint();
    const reply = await catalog.dispatch({ meta: { key, method: 'get', deadline: Date.now() + 10_000, callId: '', chain: key, depth: 0 }, input: undefined }, 0);
    if (reply.status !== 'ok') throw new Error(`activation of ${key} failed: ${reply.body}`);
    return Number(process.hrtime.bigint() - started) / 1000;
  };
  const cold: number[] = [];
  for (const key of keys) cold.push(await time(key));
  const warm: number[] = [];
  for (const key of keys) warm.push(await time(key));
  await nc.close();
  const coldRow = summarise(`activation of a cold instance, state in KV (${count} keys)`, cold);
  return [
    { ...coldRow, target: 'p50 < 2 ms', pass: (coldRow.p50Ms as number) < 2 },
    { ...summarise('the same call, instance already active', warm), compare: 'in-process, no NATS' },
  ];
}

/** Heap per idle active instance with a small state, measured in a fresh process with `count` instances. */
export async function memory(count: number): Promise<Row> {
  const { line } = await child('./servers/memory.ts', [String(count)], ['--expose-gc', '--max-old-space-size=4096']);
  const result = JSON.parse(line) as { count: number; bytesPerInstance: number; heapMiB: number; seconds: number };
  const perMillionMiB = (result.bytesPerInstance * 1_000_000) / 1048576;
  return {
    name: `memory per idle instance (${result.count.toLocaleString('en-US')} active)`,
    throughput: result.count / result.seconds,
    compare: `${result.bytesPerInstance.toFixed(0)} bytes each; heap ${result.heapMiB.toFixed(0)} MiB; 1M instances ≈ ${perMillionMiB.toFixed(0)} MiB (throughput: activations/s)`,
    target: '1M < 1 GiB',
    pass: perMillionMiB < 1024,
  };
}
