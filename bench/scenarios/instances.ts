import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from '@nats-io/transport-node';
import { Catalog } from '../../agent-runtime/activation/catalog.ts';
import { loadAgent } from '../../agent-runtime/activation/loaded-agent.ts';
import { openBuckets } from '../../agent-runtime/client/buckets.ts';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import { NO_TRACING, startTracing } from '../../agent-runtime/observability/tracing.ts';
import type { Tracing } from '../../agent-runtime/observability/tracing.ts';
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
  const catalogWith = (tracing: Tracing): Catalog =>
    new Catalog({
      agent: loadAgent('bench-activation', counter),
      store,
      durability: 'turn',
      caller: { call: async () => undefined },
      log: createLogger({ sink: () => undefined }),
      tracing,
    });
  const catalog = catalogWith(NO_TRACING);
  const time = async (key: string, on = catalog, traceparent?: string): Promise<number> => {
    const started = process.hrtime.bigint();
    const reply = await on.dispatch({ meta: { key, method: 'get', deadline: Date.now() + 10_000, callId: '', chain: key, depth: 0, traceparent }, input: undefined }, 0);
    if (reply.status !== 'ok') throw new Error(`activation of ${key} failed: ${reply.body}`);
    return Number(process.hrtime.bigint() - started) / 1000;
  };
  const cold: number[] = [];
  for (const key of keys) cold.push(await time(key));
  const warm: number[] = [];
  for (const key of keys) warm.push(await time(key));
  // The same warm calls with tracing on: a span per turn, batched and sent over OTLP to a sink in this process.
  const sink = createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}')));
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const tracing = startTracing('bench', { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}` });
  const traced = catalogWith(tracing);
  for (const key of keys) await time(key, traced);
  const tracedWarm: number[] = [];
  const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  for (const key of keys) tracedWarm.push(await time(key, traced, parent));
  await tracing.shutdown();
  sink.close();
  await nc.close();
  const coldRow = summarise(`activation of a cold instance, state in KV (${count} keys)`, cold);
  return [
    { ...coldRow, target: 'p50 < 2 ms', pass: (coldRow.p50Ms as number) < 2 },
    { ...summarise('the same call, instance already active', warm), compare: 'in-process, no NATS; tracing off (the default: one check a turn)' },
    tracedRow(summarise('the same call, tracing on (a span a turn, sent over OTLP)', tracedWarm), summarise('', warm)),
  ];
}

/** The traced call beside the untraced one: what a span costs a turn. */
function tracedRow(traced: Row, plain: Row): Row {
  const extra = (traced.p50Ms as number) - (plain.p50Ms as number);
  return { ...traced, compare: `p50 ${(extra * 1000).toFixed(1)} µs more than with tracing off` };
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
