import { cpus } from 'node:os';
import type { Platform } from '../../cli/dev/platform.ts';
import { child, cpuSeconds } from '../harness.ts';
import type { Row } from '../harness.ts';

export interface ThroughputOptions {
  seconds: number;
  rounds: number;
  connections: number;
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

interface LoadRun extends HttpResult {
  /** CPU time per request of each measured process, µs. */
  cpuMicros: Record<string, number>;
}

async function httpLoad(url: string, duration: number, connections: number, processes: Record<string, () => number[]> = {}): Promise<LoadRun> {
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

/**
 * Gateway throughput against a bare fastify handler answering the same, at
 * the same concurrency, in alternating rounds (this machine's speed drifts;
 * alternating keeps the ratio honest). Also the CPU each call costs.
 */
export async function throughput(platform: Platform, options: ThroughputOptions): Promise<{ rows: Row[]; note: string }> {
  const { seconds, rounds, connections } = options;
  const bare = await child('./servers/bare-fastify.ts', []);
  const bareUrl = `${bare.line}/v1/agents/counter/bench/get`;
  const gatewayUrl = `${platform.gatewayUrl}/v1/agents/counter/bench/get`;
  await httpLoad(bareUrl, 2, connections);
  await httpLoad(gatewayUrl, 2, connections);
  const bareRuns: LoadRun[] = [];
  const gatewayRuns: LoadRun[] = [];
  const podPids = (): number[] => platform.driver.pods('default', 'counter').map((pod) => pod.detail.pid as number);
  for (let round = 0; round < rounds; round += 1) {
    bareRuns.push(await httpLoad(bareUrl, seconds, connections, { bare: () => [bare.process.pid as number] }));
    gatewayRuns.push(await httpLoad(gatewayUrl, seconds, connections, { pod: podPids, nats: () => (platform.natsPid ? [platform.natsPid] : []) }));
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
  const note =
    `CPU per call: bare fastify ${bareResult.cpuMicros.bare?.toFixed(0)} µs; through Colony ${((cpu.self ?? 0) + (cpu.pod ?? 0) + (cpu.nats ?? 0)).toFixed(0)} µs ` +
    `= gateway ${cpu.self?.toFixed(0)} + pod ${cpu.pod?.toFixed(0)} + nats-server ${cpu.nats?.toFixed(0)} ` +
    `(the load generator shares the same ${cpus().length} cores)`;
  return {
    note,
    rows: [
      {
        name: `bare fastify handler (${connections} conns)`,
        throughput: bareResult.rps,
        p50Ms: bareResult.p50,
        p99Ms: bareResult.p99,
        compare: `rounds: ${spread(bareRuns)}`,
      },
      {
        name: `gateway → counter.get (${connections} conns)`,
        throughput: gatewayResult.rps,
        p50Ms: gatewayResult.p50,
        p99Ms: gatewayResult.p99,
        compare: `${(ratio * 100).toFixed(0)} % of bare fastify (rounds: ${spread(gatewayRuns)})`,
        target: '≥ 40 %',
        pass: ratio >= 0.4,
      },
    ],
  };
}
