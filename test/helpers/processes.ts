import { readdirSync, readFileSync } from 'node:fs';

/** A process as Linux's /proc shows it. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Start time in clock ticks after boot: with the pid, it names one process even after the pid is reused. */
  start: string;
  args: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The process `pid`, or undefined when it is gone; a zombie counts as gone (it runs nothing, only waits to be reaped). */
export function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, ppid: Number(fields[1]), start: fields[19] ?? '', args };
  } catch {
    return undefined;
  }
}

/** Whether `process` still runs: the same pid and the same start time. */
export function stillRunning(process: ProcessInfo): boolean {
  return processInfo(process.pid)?.start === process.start;
}

/** Every running process of this machine (that this user may see). */
export function allProcesses(): ProcessInfo[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => processInfo(Number(name)) ?? []);
}

/** Every running process below `pid` (children, their children, ...). */
export function descendants(pid: number): ProcessInfo[] {
  const all = allProcesses();
  const found: ProcessInfo[] = [];
  const parents = [pid];
  while (parents.length > 0) {
    const parent = parents.shift() as number;
    for (const child of all.filter((p) => p.ppid === parent)) {
      found.push(child);
      parents.push(child.pid);
    }
  }
  return found;
}

/** Polls until none of `processes` runs; resolves with the milliseconds that took, rejects naming the survivors. */
export async function waitGone(processes: ProcessInfo[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const alive = processes.filter(stillRunning);
    if (alive.length === 0) return Date.now() - started;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`still running ${timeoutMs} ms later:\n${alive.map((p) => `  ${p.pid} ${p.args}`).join('\n')}`);
    }
    await sleep(50);
  }
}

/** SIGKILLs those of `processes` that still run (test cleanup; never a process that reused one's pid). */
export function killSurvivors(processes: ProcessInfo[]): void {
  for (const process of processes.filter(stillRunning)) {
    try {
      globalThis.process.kill(process.pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}
