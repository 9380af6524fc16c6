import { randomUUID } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { ownerOfKey } from '../../agent-runtime/client/placement-view.ts';
import { PLACEMENT_BUCKET } from '../../agent-runtime/protocol/subjects.ts';
import type { Platform } from '../../cli/dev/platform.ts';
import { child, summarise } from '../harness.ts';
import type { Row } from '../harness.ts';
import { formatMs } from '../stats.ts';

export interface WorkflowBenchOptions {
  chain: number;
  fan: number;
  bigFan: number;
  runs: number;
  many: number;
  replaySteps: number;
}

interface Summary {
  status: string;
  output?: unknown;
  customStatus?: unknown;
}

/**
 * Durable workflows, next to the floor measured in the same run: one
 * JetStream KV put and one NATS request/reply back to back, what a durable
 * step (its journal write and its activity) cannot beat.
 */
export async function workflowScenarios(platform: Platform, podLines: () => string[], options: WorkflowBenchOptions): Promise<Row[]> {
  const gateway = platform.gatewayUrl;
  const start = async (workflow: string, id: string, input: unknown): Promise<void> => {
    const response = await fetch(`${gateway}/v1/workflows/${workflow}/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) });
    if (response.status !== 202) throw new Error(`start ${workflow}/${id}: ${response.status} ${await response.text()}`);
  };
  const get = async (workflow: string, id: string, wait?: string): Promise<Summary> => {
    const response = await fetch(`${gateway}/v1/workflows/${workflow}/${id}${wait ? `?wait=${wait}` : ''}`);
    if (response.status !== 200) throw new Error(`get ${workflow}/${id}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Summary;
  };
  const finish = async (workflow: string, id: string): Promise<Summary> => {
    for (;;) {
      const summary = await get(workflow, id, '60s');
      if (summary.status !== 'running') {
        if (summary.status !== 'completed') throw new Error(`${workflow}/${id} ended ${summary.status}: ${JSON.stringify(summary)}`);
        return summary;
      }
    }
  };
  const timed = async (workflow: string, input: unknown): Promise<number> => {
    const id = randomUUID();
    const started = performance.now();
    await start(workflow, id, input);
    await finish(workflow, id);
    return performance.now() - started;
  };

  const floor = await floorStepsPerSecond(platform.natsUrl, options.chain);
  const rows: Row[] = [{ name: `floor: KV put + NATS request/reply (${options.chain}×)`, throughput: floor, compare: 'what a durable step cannot beat' }];

  await timed('steps', { n: 50, mode: 'chain' });
  const chainMs = await timed('steps', { n: options.chain, mode: 'chain' });
  const chainRate = (options.chain / chainMs) * 1_000;
  rows.push({
    name: `sequential chain of ${options.chain.toLocaleString('en-US')} activities`,
    throughput: chainRate,
    compare: `${formatMs(chainMs)} in all; ${(floor / chainRate).toFixed(2)}× the floor's time per step`,
    target: '≥ 2,000/s and ≤ 2× floor',
    pass: chainRate >= 2_000 && floor / chainRate <= 2,
  });

  const fanMs = await timed('steps', { n: options.fan, mode: 'fan' });
  rows.push({ name: `fan-out/fan-in of ${options.fan.toLocaleString('en-US')} activities`, throughput: (options.fan / fanMs) * 1_000, compare: `wall ${formatMs(fanMs)}`, target: '≤ 5 s', pass: fanMs <= 5_000 });
  const bigMs = await timed('steps', { n: options.bigFan, mode: 'fan' });
  rows.push({ name: `fan-out/fan-in of ${options.bigFan.toLocaleString('en-US')} activities`, throughput: (options.bigFan / bigMs) * 1_000, compare: `wall ${formatMs(bigMs)}` });
  const exampleMs = await timed('fanout', { n: options.fan, tally: `bench-${randomUUID()}` });
  rows.push({
    name: `examples/fanout, ${options.fan.toLocaleString('en-US')} activities each adding to one counter`,
    throughput: (options.fan / exampleMs) * 1_000,
    compare: `wall ${formatMs(exampleMs)} (the counter's turns are one at a time)`,
  });

  const micros: number[] = [];
  for (let i = 0; i < options.runs + 20; i += 1) {
    const ms = await timed('steps', { n: 3, mode: 'chain' });
    if (i >= 20) micros.push(ms * 1_000);
  }
  const three = summarise('3-step workflow, start to result through the gateway (?wait)', micros);
  rows.push({ ...three, throughput: undefined, compare: `${options.runs} runs, one at a time`, target: 'p50 ≤ 10 ms', pass: (three.p50Ms as number) <= 10 });

  const ids = Array.from({ length: options.many }, () => randomUUID());
  const manyStarted = performance.now();
  await Promise.all(ids.map((id) => start('steps', id, { n: 1, mode: 'chain' })));
  await Promise.all(ids.map((id) => finish('steps', id)));
  const manyMs = performance.now() - manyStarted;
  rows.push({ name: `${options.many.toLocaleString('en-US')} one-activity workflows started at once`, throughput: (options.many / manyMs) * 1_000, compare: `all done in ${formatMs(manyMs)}` });

  if (options.replaySteps > 0) rows.push(await resumeAfterKill(platform, podLines, options.replaySteps, start, get, finish));
  return rows;
}

/** A resident workflow with `steps` finished steps: its pod is killed, and it is woken on the next. */
async function resumeAfterKill(
  platform: Platform,
  podLines: () => string[],
  steps: number,
  start: (workflow: string, id: string, input: unknown) => Promise<void>,
  get: (workflow: string, id: string) => Promise<Summary>,
  finish: (workflow: string, id: string) => Promise<Summary>,
): Promise<Row> {
  const id = `resume-${randomUUID()}`;
  await start('steps', id, { n: steps, mode: 'fanThenWait' });
  // Its fan-out is done once it says so in its custom status.
  while ((await get('steps', id)).customStatus == null) await new Promise((resolve) => setTimeout(resolve, 50));
  const owner = await ownerOf(platform, 'steps', id);
  const killedAt = performance.now();
  platform.driver.signal(owner, 'SIGKILL');
  await fetch(`${platform.gatewayUrl}/v1/workflows/steps/${id}/events/go`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  await finish('steps', id);
  const totalMs = performance.now() - killedAt;
  const replayed = podLines()
    .map((line) => /workflow steps\/(\S+) replayed (\d+) steps from (\d+) journal messages in (\d+) ms/.exec(line))
    .find((match) => match?.[1] === id);
  const replayMs = replayed ? Number(replayed[4]) : undefined;
  return {
    name: `resume a workflow with ${steps.toLocaleString('en-US')} finished steps after kill -9`,
    p50Ms: replayMs,
    compare: `replay ${replayMs === undefined ? '?' : `${replayMs} ms`} (${replayed?.[3] ?? '?'} journal messages); kill → completed ${formatMs(totalMs)}, a new pod included (p50 column: replay)`,
  };
}

/** The pod serving `agent/id` now, from the placement table (read over the platform's own connection). */
async function ownerOf(platform: Platform, agent: string, id: string): Promise<string> {
  const owner = await ownerOfKey(await new Kvm(platform.nc).open(PLACEMENT_BUCKET), 'default', agent, id);
  if (!owner) throw new Error(`no pod serves ${agent}/${id}`);
  return owner;
}

/** One KV put and one request/reply to a bare responder, back to back, `n` times: steps per second. */
async function floorStepsPerSecond(natsUrl: string, n: number): Promise<number> {
  const subject = 'bench.floor.echo';
  const echo = await child('./servers/nats-echo.ts', [natsUrl, subject]);
  const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
  try {
    const kv = await new Kvm(nc).create('bench_floor', { history: 1 });
    const value = JSON.stringify([{ t: 'done', k: 0, step: 'activity', name: 'echo', ok: true, value: 1, started: 0, at: 0 }]);
    for (let i = 0; i < 50; i += 1) {
      await kv.put('step', value);
      await nc.request(subject, '1', { timeout: 5_000 });
    }
    const started = performance.now();
    for (let i = 0; i < n; i += 1) {
      await kv.put('step', value);
      await nc.request(subject, String(i), { timeout: 5_000 });
    }
    return (n / (performance.now() - started)) * 1_000;
  } finally {
    await nc.close();
    echo.process.kill('SIGTERM');
  }
}
