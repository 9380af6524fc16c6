/**
 * `npm run bench`: Colony's speed next to baselines measured in the same run
 * on the same machine, printed side by side with the ratios the targets are
 * stated in. Usage: node bench/run.ts [--seconds 4] [--rounds 3] [--connections 32] [--calls 3000]
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { createLogger } from '../agent-runtime/protocol/log.ts';
import { loadManifests } from '../controller/spec/manifest.ts';
import { startPlatform } from '../cli/dev/platform.ts';
import { formatMs, formatRate, percentile } from './stats.ts';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    calls: { type: 'string', default: '3000' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const calls = Number(values.calls);
const rounds = Number(values.rounds);

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));

/** Starts a bench helper process and resolves with its first line of output. */
function child(script: string, args: string[]): Promise<{ process: ChildProcess; line: string }> {
  const proc = spawn(process.execPath, [here(script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(proc);
  return new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).once('line', (line) => resolve({ process: proc, line }));
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

interface HttpResult {
  rps: number;
  total: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** CPU seconds a process has used so far (user + system), from /proc; 0 where /proc is missing. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

interface LoadRun extends HttpResult {
  /** CPU time per request of each measured process, µs. */
  cpuMicros: Record<string, number>;
}

async function httpLoad(url: string, duration: number, processes: Record<string, () => number[]> = {}): Promise<LoadRun> {
  const before = Object.fromEntries(Object.entries(processes).map(([name, pids]) => [name, pids().map(cpuSeconds)]));
  const selfBefore = process.cpuUsage();
  const { line } = await child('./servers/http-load.ts', [url, String(connections), String(duration)]);
  const result = JSON.parse(line) as HttpResult;
  const cpuMicros: Record<string, number> = {};
  for (const [name, pids] of Object.entries(processes)) {
    const used = pids().reduce((sum, pid, i) => sum + cpuSeconds(pid) - (before[name]?.[i] ?? 0), 0);
    cpuMicros[name] = (used * 1e6) / Math.max(1, result.total);
  }
  const self = process.cpuUsage(selfBefore);
  cpuMicros.self = (self.user + self.system) / Math.max(1, result.total);
  return { ...result, cpuMicros };
}

/** The run with the median throughput. */
function median<T extends HttpResult>(runs: T[]): T {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)] as T;
}

interface Row {
  name: string;
  throughput?: number;
  p50Ms: number;
  p99Ms: number;
  compare?: string;
  target?: string;
  pass?: boolean;
}

function summarise(name: string, micros: number[]): Row {
  const totalMs = micros.reduce((a, b) => a + b, 0) / 1000;
  return { name, throughput: (micros.length / totalMs) * 1000, p50Ms: percentile(micros, 50) / 1000, p99Ms: percentile(micros, 99) / 1000 };
}

async function main(): Promise<void> {
  process.stdout.write(
    `Colony benchmarks: ${rounds} alternating rounds of ${seconds} s per HTTP run at ${connections} connections (median shown), ${calls} sequential calls per latency run\n\n`,
  );
  const dataDir = await mkdtemp(join(tmpdir(), 'colony-bench-'));
  const agents = await loadManifests([here('../examples/counter'), here('./agents')]);
  const platform = await startPlatform({
    agents,
    dataDir,
    gatewayPort: 0,
    log: createLogger({ level: 'warn' }),
    podLogLevel: 'warn',
    onPodOutput: (pod, line) => process.stderr.write(`${pod.podId} ${line}\n`),
    onProgress: (line) => process.stdout.write(`${line}\n`),
  });
  const rows: Row[] = [];
  let cpuNote: string | undefined;
  try {
    // 1. HTTP: bare fastify and the gateway calling counter.get through NATS and a pod, in
    // alternating rounds (this machine's speed drifts; alternating keeps the ratio honest).
    const bare = await child('./servers/bare-fastify.ts', []);
    const bareUrl = `${bare.line}/v1/agents/counter/bench/get`;
    const gatewayUrl = `${platform.gatewayUrl}/v1/agents/counter/bench/get`;
    await httpLoad(bareUrl, 2);
    await httpLoad(gatewayUrl, 2);
    const bareRuns: LoadRun[] = [];
    const gatewayRuns: LoadRun[] = [];
    const podPids = (): number[] => platform.driver.pods('default', 'counter').map((pod) => pod.detail.pid as number);
    for (let round = 0; round < rounds; round += 1) {
      bareRuns.push(await httpLoad(bareUrl, seconds, { bare: () => [bare.process.pid as number] }));
      gatewayRuns.push(await httpLoad(gatewayUrl, seconds, { pod: podPids, nats: () => (platform.natsPid ? [platform.natsPid] : []) }));
    }
    bare.process.kill('SIGTERM');
    for (const [name, runs] of [['bare fastify', bareRuns], ['gateway', gatewayRuns]] as const) {
      const failed = runs.filter((r) => r.non2xx + r.errors + r.timeouts > 0);
      if (failed.length > 0) throw new Error(`${name} runs had failures: ${JSON.stringify(failed)}`);
    }
    const bareResult = median(bareRuns);
    const gatewayResult = median(gatewayRuns);
    const ratio = gatewayResult.rps / bareResult.rps;
    const spread = (runs: HttpResult[]): string => runs.map((r) => Math.round(r.rps)).join(', ');
    const cpu = gatewayResult.cpuMicros;
    cpuNote =
      `CPU per call: bare fastify ${bareResult.cpuMicros.bare?.toFixed(0)} µs; through Colony ${((cpu.self ?? 0) + (cpu.pod ?? 0) + (cpu.nats ?? 0)).toFixed(0)} µs ` +
      `= gateway ${cpu.self?.toFixed(0)} + pod ${cpu.pod?.toFixed(0)} + nats-server ${cpu.nats?.toFixed(0)} ` +
      `(the load generator shares the same ${cpus().length} cores)`;
    rows.push({
      name: `bare fastify handler (${connections} conns)`,
      throughput: bareResult.rps,
      p50Ms: bareResult.p50,
      p99Ms: bareResult.p99,
      compare: `rounds: ${spread(bareRuns)}`,
    });
    rows.push({
      name: `gateway → counter.get (${connections} conns)`,
      throughput: gatewayResult.rps,
      p50Ms: gatewayResult.p50,
      p99Ms: gatewayResult.p99,
      compare: `${(ratio * 100).toFixed(0)} % of bare fastify (rounds: ${spread(gatewayRuns)})`,
      target: '≥ 40 %',
      pass: ratio >= 0.4,
    });

    // 2. Latency of one call at a time: raw NATS request/reply, agent → agent across pods, same pod.
    const subject = 'bench.echo';
    const echo = await child('./servers/nats-echo.ts', [platform.natsUrl, subject]);
    const nc = await connect({ servers: platform.natsUrl, noAsyncTraces: true });
    const rawMicros: number[] = [];
    for (let i = 0; i < calls + 200; i += 1) {
      const started = process.hrtime.bigint();
      await nc.request(subject, '', { timeout: 5_000 });
      if (i >= 200) rawMicros.push(Number(process.hrtime.bigint() - started) / 1000);
    }
    await nc.close();
    echo.process.kill('SIGTERM');
    const raw = summarise('raw NATS request/reply', rawMicros);
    rows.push(raw);

    const measure = async (agent: string, key: string): Promise<number[]> => {
      const response = await fetch(`${platform.gatewayUrl}/v1/agents/prober/bench/measure`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-colony-timeout': '120s' },
        body: JSON.stringify({ agent, key, method: 'get', n: calls + 200 }),
      });
      if (!response.ok) throw new Error(`prober.measure failed: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { micros: number[] }).micros.slice(200);
    };
    const cross = summarise('agent → agent, across pods', await measure('counter', 'bench'));
    const crossRatio = cross.p50Ms / raw.p50Ms;
    rows.push({ ...cross, compare: `p50 ${crossRatio.toFixed(2)}× raw NATS`, target: '≤ 3×', pass: crossRatio <= 3 });
    const same = summarise('agent → agent, same pod (in-process)', await measure('prober', 'other'));
    const speedup = cross.p50Ms / same.p50Ms;
    rows.push({ ...same, compare: `${speedup.toFixed(0)}× faster than across pods`, target: '≥ 10×', pass: speedup >= 10 });
  } finally {
    await platform.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  printTable(rows);
  if (cpuNote) process.stdout.write(`${cpuNote}\n`);
}

function printTable(rows: Row[]): void {
  const table = rows.map((row) => [
    row.name,
    row.throughput === undefined ? '' : formatRate(row.throughput),
    formatMs(row.p50Ms),
    formatMs(row.p99Ms),
    row.compare ?? '',
    row.target ? `${row.target} ${row.pass ? 'PASS' : 'MISS'}` : '',
  ]);
  const header = ['scenario', 'throughput', 'p50', 'p99', 'compared', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  process.stdout.write(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${table.map(line).join('\n')}\n`);
  process.stdout.write(`\nmachine: ${process.platform} ${process.arch}, ${cpus().length} cores, Node ${process.versions.node}\n`);
}

await main();
