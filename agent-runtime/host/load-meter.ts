import type { CatalogStats } from '../activation/catalog.ts';
import type { LoadReport } from '../protocol/placement.ts';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length));
  return sorted[index] ?? 0;
}

/** Turns catalog counters and process usage into the load report of a heartbeat. */
export class LoadMeter {
  #lastCpu = process.cpuUsage();
  #lastAt = performance.now();

  report(stats: CatalogStats, turns: { turns: number; latenciesMs: number[] }): LoadReport {
    const cpu = process.cpuUsage();
    const at = performance.now();
    const cpuMicros = cpu.user - this.#lastCpu.user + (cpu.system - this.#lastCpu.system);
    const wallMs = Math.max(1, at - this.#lastAt);
    this.#lastCpu = cpu;
    this.#lastAt = at;
    const sorted = turns.latenciesMs.sort((a, b) => a - b);
    const memory = process.memoryUsage();
    return {
      inflight: stats.inflight,
      queued: stats.queued,
      activeInstances: stats.activeInstances,
      turns: turns.turns,
      turnLatencyP50Ms: percentile(sorted, 50),
      turnLatencyP99Ms: percentile(sorted, 99),
      cpu: cpuMicros / 1000 / wallMs,
      heapUsedBytes: memory.heapUsed,
      rssBytes: memory.rss,
    };
  }
}
