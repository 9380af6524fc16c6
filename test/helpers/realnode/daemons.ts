import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The node's daemons (containerd, etcd, kube-apiserver, kubelet, ...): each in
 * its own session and process group, its output in a log file, its pid in a
 * record file, so that a run that died (kill -9 of the test runner included)
 * leaves a list the next run stops. Never found by name: only the recorded
 * pids, and only while their command line is still the one recorded.
 */
export interface DaemonRecord {
  name: string;
  pid: number;
  /** The executable, to check that a recorded pid was not reused by another process. */
  exe: string;
}

export interface Daemons {
  start(name: string, exe: string, args: string[]): DaemonRecord;
  /** Output of a daemon so far (the tail), for errors. */
  tail(name: string, chars?: number): string;
  /** Stops one daemon (SIGTERM to its group, SIGKILL after `graceMs`). */
  stop(name: string, graceMs?: number): Promise<void>;
  /** Stops every daemon, last started first. */
  stopAll(graceMs?: number): Promise<void>;
  alive(name: string): boolean;
}

function cmdlineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
  } catch {
    return undefined;
  }
}

/** True while `pid` runs `exe` (the process is alive and is still the one recorded). */
export function isRunning(record: DaemonRecord): boolean {
  return cmdlineOf(record.pid) === record.exe;
}

async function stopRecord(record: DaemonRecord, graceMs: number): Promise<void> {
  if (!isRunning(record)) return;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-record.pid, sig);
    } catch {
      try {
        process.kill(record.pid, sig);
      } catch {
        // gone
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isRunning(record)) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isRunning(record)) signal('SIGKILL');
  while (isRunning(record)) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** Reads the records a previous run left in `recordFile` (none when it does not exist). */
export async function leftoverDaemons(recordFile: string): Promise<DaemonRecord[]> {
  try {
    return (JSON.parse(await readFile(recordFile, 'utf8')) as DaemonRecord[]).filter(isRunning);
  } catch {
    return [];
  }
}

/** Stops what a dead run left running, last started first. */
export async function stopLeftovers(records: DaemonRecord[], log: (line: string) => void): Promise<void> {
  for (const record of [...records].reverse()) {
    log(`stopping ${record.name} (pid ${record.pid}) left by an earlier run`);
    await stopRecord(record, 5_000);
  }
}

export function daemons(logDir: string, recordFile: string): Daemons {
  const records: DaemonRecord[] = [];
  const save = (): Promise<void> => writeFile(recordFile, JSON.stringify(records, null, 2));
  let saving = Promise.resolve();
  const find = (name: string): DaemonRecord | undefined => records.find((r) => r.name === name);
  return {
    start(name, exe, args) {
      if (find(name) && isRunning(find(name) as DaemonRecord)) throw new Error(`${name} is already running`);
      const fd = openSync(join(logDir, `${name}.log`), 'a');
      // detached: a session and process group of its own, so that a Ctrl-C of the test runner
      // does not reach it before teardown stops it in order (kubelet before containerd).
      const child = spawn(exe, args, { detached: true, stdio: ['ignore', fd, fd] });
      closeSync(fd);
      child.unref();
      if (child.pid === undefined) throw new Error(`could not start ${name} (${exe})`);
      const record = { name, pid: child.pid, exe };
      const index = records.findIndex((r) => r.name === name);
      if (index >= 0) records.splice(index, 1);
      records.push(record);
      saving = saving.then(save, save);
      return record;
    },
    tail(name, chars = 3000) {
      try {
        const text = readFileSync(join(logDir, `${name}.log`), 'utf8');
        return text.slice(-chars);
      } catch {
        return '';
      }
    },
    async stop(name, graceMs = 10_000) {
      const record = find(name);
      if (record) await stopRecord(record, graceMs);
    },
    async stopAll(graceMs = 10_000) {
      for (const record of [...records].reverse()) await stopRecord(record, graceMs);
      records.length = 0;
      await saving;
      await save();
    },
    alive(name) {
      const record = find(name);
      return record !== undefined && isRunning(record);
    },
  };
}
