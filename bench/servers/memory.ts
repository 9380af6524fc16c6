/**
 * Activates `count` instances of a small counter in one catalog (the pod's
 * data structures, with an in-memory store) and prints the heap each one
 * costs. Run with --expose-gc.
 */
import { Catalog } from '../../agent-runtime/activation/catalog.ts';
import { loadAgent } from '../../agent-runtime/activation/loaded-agent.ts';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import { defineAgent } from '../../agent-runtime/sdk/agent.ts';
import { MemoryStateStore } from '../../agent-runtime/state/memory-state-store.ts';

const count = Number(process.argv[2] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const counter = defineAgent({ state: () => ({ count: 0 }), methods: { get: (ctx) => ctx.state } });
const catalog = new Catalog({
  agent: loadAgent('counter', counter),
  store: new MemoryStateStore(),
  durability: 'turn',
  caller: { call: async () => undefined },
  log: createLogger({ sink: () => undefined }),
});
gc();
gc();
const before = process.memoryUsage().heapUsed;
const started = performance.now();
const deadline = Date.now() + 3_600_000;
const batch = 5_000;
for (let i = 0; i < count; i += batch) {
  const calls = [];
  for (let j = i; j < Math.min(count, i + batch); j += 1) {
    calls.push(catalog.dispatch({ meta: { key: `user-${j}`, method: 'get', deadline, callId: '', chain: 'c', depth: 0 }, input: undefined }, 0));
  }
  await Promise.all(calls);
}
const seconds = (performance.now() - started) / 1000;
gc();
gc();
const after = process.memoryUsage().heapUsed;
if (catalog.size !== count) throw new Error(`expected ${count} active instances, found ${catalog.size}`);
process.stdout.write(`${JSON.stringify({ count, bytesPerInstance: (after - before) / count, heapMiB: after / 1048576, seconds })}\n`);
