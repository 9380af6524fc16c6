import { CHILD_ROLES } from './dev-record.ts';
import type { DevRecord, RecordedChild } from './dev-record.ts';
import type { ProcessRef } from './processes.ts';

/** What a `colony dev` starting on a data dir finds there. */
export type Claim =
  /** Nothing of an earlier colony dev runs: the data dir is free. */
  | { kind: 'free' }
  /** The colony dev of the record still runs: the data dir is taken. */
  | { kind: 'taken'; launcherPid: number }
  /** The colony dev of the record is gone, but processes it started still run. */
  | { kind: 'leftovers'; launcherPid: number; children: RecordedChild[] };

/**
 * Decides what to do with a data dir's record, given which processes run. A
 * process counts only if its pid and its start time match the record, so a
 * process that reused a pid is never taken for one of ours.
 */
export function decideClaim(record: DevRecord | undefined, running: (ref: ProcessRef) => boolean): Claim {
  if (!record) return { kind: 'free' };
  if (running(record.launcher)) return { kind: 'taken', launcherPid: record.launcher.pid };
  const children = record.children.filter(running);
  return children.length === 0 ? { kind: 'free' } : { kind: 'leftovers', launcherPid: record.launcher.pid, children };
}

/** `nats-server (pid 12), pod counter-ab12cd (pid 13)`. */
export function describeChildren(children: readonly RecordedChild[]): string {
  return children.map((child) => `${child.role === 'pod' ? `pod ${child.name}` : child.name} (pid ${child.pid})`).join(', ');
}

/** What stopping needs of the machine and of the clock (tests pass fakes). */
export interface ProcessControl {
  running(ref: ProcessRef): boolean;
  /** Signals `ref` if it is still that process. */
  signal(ref: ProcessRef, signal: NodeJS.Signals): void;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** How often stopping looks whether the processes are gone, ms. */
export const STOP_POLL_MS = 100;
/** How long a process may take to vanish after SIGKILL before stopping gives up on it, ms. */
export const KILL_WAIT_MS = 2_000;

export interface StopOutcome {
  /** Those that did not stop within their grace after SIGTERM and were sent SIGKILL. */
  killed: RecordedChild[];
  /** Those still running even after SIGKILL (not ours to wait for longer). */
  remaining: RecordedChild[];
}

/**
 * Stops processes a gone `colony dev` left: the keeper first (so that one
 * thing stops the rest), then the pods (they drain, and need NATS for that),
 * then nats-server (SIGTERM lets JetStream close its store cleanly). Each group
 * gets SIGTERM, then SIGKILL after the longest grace in it.
 */
export async function stopLeftovers(children: readonly RecordedChild[], control: ProcessControl): Promise<StopOutcome> {
  const outcome: StopOutcome = { killed: [], remaining: [] };
  for (const role of CHILD_ROLES) {
    const group = children.filter((child) => child.role === role && control.running(child));
    if (group.length === 0) continue;
    for (const child of group) control.signal(child, 'SIGTERM');
    const graceMs = Math.max(...group.map((child) => child.graceMs));
    const stubborn = await waitGone(group, graceMs, control);
    for (const child of stubborn) control.signal(child, 'SIGKILL');
    outcome.killed.push(...stubborn);
    outcome.remaining.push(...(await waitGone(stubborn, KILL_WAIT_MS, control)));
  }
  return outcome;
}

/** Waits until none of `refs` runs or `timeoutMs` passed; returns those still running. */
async function waitGone<T extends ProcessRef>(refs: readonly T[], timeoutMs: number, control: ProcessControl): Promise<T[]> {
  const deadline = control.now() + timeoutMs;
  for (;;) {
    const alive = refs.filter((ref) => control.running(ref));
    if (alive.length === 0 || control.now() >= deadline) return alive;
    await control.sleep(Math.min(STOP_POLL_MS, deadline - control.now()));
  }
}
