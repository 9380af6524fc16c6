/**
 * `npm run bench`: Colony's speed next to baselines measured in the same run
 * on the same machine, printed side by side with the ratios the targets are
 * stated in.
 *
 *   node bench/run.ts [--only throughput,latency,cold-start,handoff,activation,memory,workflows,events,groups]
 *                     [--seconds 4] [--rounds 3] [--connections 32] [--calls 3000]
 *                     [--cold-starts 5] [--keys 2000] [--instances 1000000]
 *                     [--chain 1000] [--fan 10000] [--big-fan 100000] [--runs 200] [--many 1000] [--replay-steps 10000]
 *                     [--group-calls 1000] [--group-rounds 5] [--shards 20] [--shard-bytes 524288] [--aggregations 10]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../agent-runtime/observability/log.ts';
import { loadManifests } from '../controller/manifest/manifest.ts';
import { startPlatform } from '../cli/dev/platform.ts';
import { here, printTable } from './harness.ts';
import type { Row } from './harness.ts';
import { coldStart, handoffPause } from './scenarios/elasticity.ts';
import { activation, memory } from './scenarios/instances.ts';
import { latency } from './scenarios/latency.ts';
import { throughput } from './scenarios/throughput.ts';
import { workflowScenarios } from './scenarios/workflows.ts';
import { eventScenarios } from './scenarios/events.ts';
import { groupScenarios, isGroupsAgent } from './scenarios/groups.ts';

const SCENARIOS = ['throughput', 'latency', 'cold-start', 'handoff', 'activation', 'memory', 'workflows', 'events', 'groups'] as const;

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: SCENARIOS.join(',') },
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    calls: { type: 'string', default: '3000' },
    'cold-starts': { type: 'string', default: '5' },
    keys: { type: 'string', default: '2000' },
    instances: { type: 'string', default: '1000000' },
    chain: { type: 'string', default: '1000' },
    fan: { type: 'string', default: '10000' },
    'big-fan': { type: 'string', default: '100000' },
    runs: { type: 'string', default: '200' },
    many: { type: 'string', default: '1000' },
    'replay-steps': { type: 'string', default: '10000' },
    events: { type: 'string', default: '20000' },
    'event-keys': { type: 'string', default: '1000' },
    pings: { type: 'string', default: '200' },
    'group-calls': { type: 'string', default: '1000' },
    'group-rounds': { type: 'string', default: '5' },
    shards: { type: 'string', default: '20' },
    'shard-bytes': { type: 'string', default: String(512 * 1024) },
    aggregations: { type: 'string', default: '10' },
  },
});
const only = new Set(values.only.split(','));
for (const name of only) {
  if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`unknown scenario "${name}"; choose from ${SCENARIOS.join(', ')}`);
}

async function main(): Promise<void> {
  process.stdout.write(`Colony benchmarks: ${[...only].join(', ')}\n`);
  const dataDir = await mkdtemp(join(tmpdir(), 'colony-bench-'));
  // The groups scenario's Agents take four pods: they start only when it runs.
  const specs = (await loadManifests([here('../examples/counter'), here('../examples/fanout'), here('./agents')])).filter((spec) => only.has('groups') || !isGroupsAgent(spec));
  const podLines: string[] = [];
  const platform = await startPlatform({
    agents: specs,
    dataDir,
    gatewayPort: 0,
    log: createLogger({ level: 'warn' }),
    // Info, for the replay timings workflow pods log; the rest of info is not shown.
    podLogLevel: 'info',
    onPodOutput: (pod, line) => {
      if (line.includes('replayed')) podLines.push(line);
      else if (!line.includes('"level":"info"') && !line.includes('"level":"debug"')) process.stderr.write(`${pod.podId} ${line}\n`);
    },
    onProgress: (line) => process.stdout.write(`${line}\n`),
  });
  // Interrupted (Ctrl-C, a timeout's SIGTERM): the platform's nats-server and pods go too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}; stopping the platform\n`);
      void platform.stop().finally(() => process.exit(130));
    });
  }
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    if (only.has('throughput')) {
      const result = await throughput(platform, { seconds: Number(values.seconds), rounds: Number(values.rounds), connections: Number(values.connections) });
      rows.push(...result.rows);
      notes.push(result.note);
    }
    if (only.has('latency')) rows.push(...(await latency(platform, Number(values.calls))));
    if (only.has('cold-start')) rows.push(await coldStart(platform, specs, Number(values['cold-starts'])));
    if (only.has('handoff')) rows.push(await handoffPause(platform, specs));
    if (only.has('activation')) rows.push(...(await activation(platform, Number(values.keys))));
    if (only.has('workflows')) {
      rows.push(
        ...(await workflowScenarios(platform, () => podLines, {
          chain: Number(values.chain),
          fan: Number(values.fan),
          bigFan: Number(values['big-fan']),
          runs: Number(values.runs),
          many: Number(values.many),
          replaySteps: Number(values['replay-steps']),
        })),
      );
    }
    if (only.has('events')) rows.push(...(await eventScenarios(platform, { events: Number(values.events), keys: Number(values['event-keys']), pings: Number(values.pings) })));
    if (only.has('groups')) {
      rows.push(
        ...(await groupScenarios(platform, {
          calls: Number(values['group-calls']),
          rounds: Number(values['group-rounds']),
          shards: Number(values.shards),
          shardBytes: Number(values['shard-bytes']),
          aggregations: Number(values.aggregations),
        })),
      );
    }
  } finally {
    await platform.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  if (only.has('memory')) rows.push(await memory(Number(values.instances)));
  printTable(rows);
  for (const note of notes) process.stdout.write(`${note}\n`);
}

await main();
