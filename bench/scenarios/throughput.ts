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

/** Rounded down: 39.7 % must not print as the 40 % it misses. */
const pct = (ratio: number): string => `${Math.floor(ratio * 100)} %`;
const micros = (value: number | undefined): string => (value ?? 0).toFixed(0);

/**
 * Gateway throughput against a bare fastify handler answering the same, at
 * the same concurrency, in alternating rounds (this machine's speed drifts;
 * alternating keeps the ratio honest). Between them, the floor: fastify plus
 * one NATS request/reply to a bare responder, the same hops as a gateway call
 * without Colony's work (servers/nats-floor.ts). Also the CPU each call costs.
 */
export async function throughput(platform: Platform, options: ThroughputOptions): Promise<{ rows: Row[]; note: string }> {
  const { seconds, rounds, connections } = options;
  const path = '/v1/agents/counter/bench/get';
  const subject = 'bench.floor';
  const bare = await child('./servers/bare-fastify.ts', []);
  const echo = await child('./servers/nats-echo.ts', [platform.natsUrl, subject]);
  const floor = await child('./servers/nats-floor.ts', [platform.natsUrl, subject]);
  const natsPid = (): number[] => (platform.natsPid ? [platform.natsPid] : []);
  const podPids = (): number[] => platform.driver.pods('default', 'counter').map((pod) => pod.detail.pid as number);
  const targets = [
    { name: 'bare', url: `${bare.line}${path}`, processes: { bare: () => [bare.process.pid as number] } },
    {
      name: 'floor',
      url: `${floor.line}${path}`,
      processes: { floor: () => [floor.process.pid as number], responder: () => [echo.process.pid as number], nats: natsPid },
    },
    { name: 'gateway', url: `${platform.gatewayUrl}${path}`, processes: { pod: podPids, nats: natsPid } },
  ] as const;
  for (const target of targets) await httpLoad(target.url, 2, connections);
  const runs = new Map<string, LoadRun[]>(targets.map((target) => [target.name, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const target of targets) runs.get(target.name)?.push(await httpLoad(target.url, seconds, connections, target.processes));
  }
  for (const helper of [bare, floor, echo]) helper.process.kill('SIGTERM');
  for (const [name, list] of runs) {
    const failed = list.filter((r) => r.non2xx + r.errors + r.timeouts > 0);
    if (failed.length > 0) throw new Error(`${name} runs had failures: ${JSON.stringify(failed)}`);
  }
  const bareRuns = runs.get('bare') ?? [];
  const floorRuns = runs.get('floor') ?? [];
  const gatewayRuns = runs.get('gateway') ?? [];
  const bareResult = median(bareRuns);
  const floorResult = median(floorRuns);
  const gatewayResult = median(gatewayRuns);
  const ratio = gatewayResult.rps / bareResult.rps;
  const spread = (list: HttpResult[]): string => list.map((r) => Math.round(r.rps)).join(', ');
  const cpu = gatewayResult.cpuMicros;
  const floorCpu = floorResult.cpuMicros;
  const note =
    `CPU per call: bare fastify ${micros(bareResult.cpuMicros.bare)} µs; ` +
    `floor ${micros((floorCpu.floor ?? 0) + (floorCpu.responder ?? 0) + (floorCpu.nats ?? 0))} µs ` +
    `= fastify+NATS ${micros(floorCpu.floor)} + responder ${micros(floorCpu.responder)} + nats-server ${micros(floorCpu.nats)}; ` +
    `through Colony ${micros((cpu.self ?? 0) + (cpu.pod ?? 0) + (cpu.nats ?? 0))} µs ` +
    `= gateway ${micros(cpu.self)} + pod ${micros(cpu.pod)} + nats-server ${micros(cpu.nats)} ` +
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
        name: `floor: fastify + NATS to a bare responder`,
        throughput: floorResult.rps,
        p50Ms: floorResult.p50,
        p99Ms: floorResult.p99,
        compare: `${pct(floorResult.rps / bareResult.rps)} of bare fastify (rounds: ${spread(floorRuns)})`,
      },
      {
        name: `gateway → counter.get (${connections} conns)`,
        throughput: gatewayResult.rps,
        p50Ms: gatewayResult.p50,
        p99Ms: gatewayResult.p99,
        compare: `${pct(ratio)} of bare fastify, ${pct(gatewayResult.rps / floorResult.rps)} of the floor (rounds: ${spread(gatewayRuns)})`,
        target: '≥ 40 %',
        pass: ratio >= 0.4,
      },
    ],
  };
}
