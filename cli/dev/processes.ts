import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ProcessControl } from './leftovers.ts';

/** One process, named so that a pid reused by another process does not match: the pid and its start time. */
export interface ProcessRef {
  pid: number;
  /** When it started (Linux: clock ticks after boot; elsewhere `ps`'s lstart); undefined when not known. */
  start: string | undefined;
}

const HAS_PROC = process.platform === 'linux';

/**
 * When the process `pid` started, or undefined when it is not running (a
 * zombie, which only waits to be reaped, counts as not running).
 */
export function processStart(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (HAS_PROC) {
    try {
      return startFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return undefined;
    }
  }
  try {
    const out = execFileSync('ps', ['-o', 'stat=', '-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [stat, ...start] = out.trim().split(/\s+/);
    return !stat || stat.startsWith('Z') ? undefined : start.join(' ');
  } catch {
    return undefined;
  }
}

/** The start time in a /proc/<pid>/stat line (field 22), or undefined for a zombie. */
export function startFromStat(stat: string): string | undefined {
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

/** This process, as a ProcessRef. */
export function selfRef(): ProcessRef {
  return { pid: process.pid, start: processStart(process.pid) };
}

/** A ProcessRef for a child just started (its start time read now). */
export function refOf(pid: number): ProcessRef {
  return { pid, start: processStart(pid) };
}

/**
 * Whether `ref` still runs: the same pid with the same start time. Without a
 * recorded start time (a record of an older colony dev), any process with
 * that pid counts.
 */
export function isRunning(ref: ProcessRef): boolean {
  const start = processStart(ref.pid);
  return start !== undefined && (ref.start === undefined || start === ref.start);
}

/** Sends `signal` to `ref` if it is still that process; false when it is not (gone, or its pid reused). */
export function signalProcess(ref: ProcessRef, signal: NodeJS.Signals): boolean {
  if (!isRunning(ref)) return false;
  try {
    process.kill(ref.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The store directory a nats-server command line names (`-sd dir`, `--store_dir dir`, `-sd=dir`), if any. */
export function storeDirOf(args: readonly string[]): string | undefined {
  if (!args[0]?.split('/').pop()?.startsWith('nats-server')) return undefined;
  for (let i = 1; i < args.length; i += 1) {
    const arg = args[i] as string;
    const flag = /^--?(sd|store_dir)(=(.*))?$/.exec(arg);
    if (!flag) continue;
    return flag[3] ?? args[i + 1];
  }
  return undefined;
}

/**
 * The nats-servers of this machine whose command line names `storeDir` as
 * their JetStream store (Linux: from /proc; elsewhere from `ps`, where a store
 * path with spaces is not recognised). A server given its store in a config
 * file is not found.
 */
export function natsServersUsing(storeDir: string): ProcessRef[] {
  const wanted = resolve(storeDir);
  return commandLines()
    .filter(({ args }) => {
      const dir = storeDirOf(args);
      return dir !== undefined && resolve(dir) === wanted;
    })
    .map(({ pid }) => ({ pid, start: processStart(pid) }))
    .filter((ref) => ref.start !== undefined);
}

function commandLines(): { pid: number; args: string[] }[] {
  if (HAS_PROC) {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .flatMap((name) => {
        try {
          const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').slice(0, -1);
          return [{ pid: Number(name), args }];
        } catch {
          return [];
        }
      });
  }
  try {
    const out = execFileSync('ps', ['-A', '-o', 'pid=', '-o', 'args='], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out
      .split('\n')
      .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
      .flatMap((match) => (match ? [{ pid: Number(match[1]), args: (match[2] as string).split(' ') }] : []));
  } catch {
    return [];
  }
}

/** Processes and the clock of this machine, for stopLeftovers. */
export const systemControl: ProcessControl = {
  running: isRunning,
  signal: (ref, signal) => void signalProcess(ref, signal),
  now: () => Date.now(),
  sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
};
