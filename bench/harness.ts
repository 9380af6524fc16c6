import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { formatMs, formatRate, percentile } from './stats.ts';

export const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));

/** Starts a bench helper process and resolves with its first line of output. */
export function child(script: string, args: string[], nodeArgs: string[] = []): Promise<{ process: ChildProcess; line: string }> {
  const proc = spawn(process.execPath, [...nodeArgs, here(script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(proc);
  return new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).once('line', (line) => resolve({ process: proc, line }));
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

/** CPU seconds a process has used so far (user + system), from /proc; 0 where /proc is missing. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** One line of the results table. */
export interface Row {
  name: string;
  /** Throughput, per second (or a count, with `unit`). */
  throughput?: number;
  p50Ms?: number;
  p99Ms?: number;
  compare?: string;
  target?: string;
  pass?: boolean;
}

export function summarise(name: string, micros: number[]): Row {
  const totalMs = micros.reduce((a, b) => a + b, 0) / 1000;
  return { name, throughput: (micros.length / totalMs) * 1000, p50Ms: percentile(micros, 50) / 1000, p99Ms: percentile(micros, 99) / 1000 };
}

export function printTable(rows: Row[]): void {
  const table = rows.map((row) => [
    row.name,
    row.throughput === undefined ? '' : formatRate(row.throughput),
    row.p50Ms === undefined ? '' : formatMs(row.p50Ms),
    row.p99Ms === undefined ? '' : formatMs(row.p99Ms),
    row.compare ?? '',
    row.target ? `${row.target} ${row.pass ? 'PASS' : 'MISS'}` : '',
  ]);
  const header = ['scenario', 'throughput', 'p50', 'p99', 'compared', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  process.stdout.write(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${table.map(line).join('\n')}\n`);
  process.stdout.write(`\nmachine: ${process.platform} ${process.arch}, ${cpus().length} cores, Node ${process.versions.node}\n`);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** POSTs a call through the gateway; resolves with the parsed result, throws on a non-2xx. */
export async function invoke(gatewayUrl: string, agent: string, key: string, method: string, input?: unknown, timeout = '30s'): Promise<unknown> {
  const response = await fetch(`${gatewayUrl}/v1/agents/${agent}/${encodeURIComponent(key)}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-colony-timeout': timeout },
    body: input === undefined ? '' : JSON.stringify(input),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${agent}.${method} on ${key}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}
