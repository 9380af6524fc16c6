/**
 * The watchdog thread of a pod (see watchdog.ts). It shares nothing with the
 * main thread but the turn table, and writes straight to file descriptor 2:
 * everything else of the process may be stuck.
 */
import { writeFileSync, writeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { readTurnTable } from './turn-table.ts';
import type { TurnTableBuffers } from './turn-table.ts';
import { describeTurns, judge } from './verdict.ts';
import type { Verdict, WatchdogOptions } from './verdict.ts';

export interface WatchdogWorkerData {
  buffers: TurnTableBuffers;
  options: WatchdogOptions;
  intervalMs: number;
  /** Fields of every line it logs (pod, agent). */
  fields: Record<string, unknown>;
  /** Where to leave why the pod was killed (Kubernetes' terminationMessagePath), if anywhere. */
  terminationLog: string | undefined;
}

const data = workerData as WatchdogWorkerData;
let reported = false;
let lastCheck = Date.now();

setInterval(() => {
  const now = Date.now();
  // This thread did not run either (the process was stopped, or the machine paused): let the main thread tick first.
  const suspended = now - lastCheck > 4 * data.intervalMs;
  lastCheck = now;
  if (suspended) return;
  const verdict = judge(readTurnTable(data.buffers), now, data.options);
  if (verdict.kind === 'running') {
    reported = false;
    return;
  }
  if (verdict.kind === 'blocked') {
    if (reported) return;
    reported = true;
  }
  const message = describe(verdict, now);
  emit(verdict.kind, message, verdict);
  if (verdict.kind === 'kill') {
    leaveTerminationMessage(message);
    process.kill(process.pid, 'SIGKILL');
  }
}, data.intervalMs);

function describe(verdict: Exclude<Verdict, { kind: 'running' }>, now: number): string {
  const running = describeTurns(verdict.turns, verdict.untracked, now);
  const blocked = `${(verdict.blockedMs / 1_000).toFixed(1)} s`;
  if (verdict.kind === 'blocked') {
    return `the pod's event loop has been blocked for ${blocked}; running: ${running}. Other calls wait meanwhile; the pod is killed and replaced in ${(verdict.killInMs / 1_000).toFixed(1)} s if it stays blocked (past its turns' deadlines + ${data.options.graceMs} ms)`;
  }
  return `killing the pod: its event loop has been blocked for ${blocked}, past the deadlines of what runs (+ ${data.options.graceMs} ms grace): ${running}. A method must not block the event loop: await between steps of long work, and honour ctx.signal`;
}

function emit(state: 'blocked' | 'kill', message: string, verdict: Exclude<Verdict, { kind: 'running' }>): void {
  const line = {
    time: new Date().toISOString(),
    level: 'error',
    msg: message,
    ...data.fields,
    watchdog: { state, blockedMs: verdict.blockedMs, turns: verdict.turns.map((turn) => turn.what) },
  };
  try {
    writeSync(2, `${JSON.stringify(line)}\n`);
  } catch {
    // Nowhere to write: the kill still happens.
  }
}

function leaveTerminationMessage(message: string): void {
  if (!data.terminationLog) return;
  try {
    writeFileSync(data.terminationLog, message);
  } catch {
    // Not writable (a read-only filesystem without the termination log mounted): the log line says it.
  }
}
