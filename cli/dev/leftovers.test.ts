import { describe, expect, it } from 'vitest';
import type { DevRecord, RecordedChild } from './dev-record.ts';
import { decideClaim, describeChildren, KILL_WAIT_MS, stopLeftovers } from './leftovers.ts';
import type { ProcessControl } from './leftovers.ts';
import type { ProcessRef } from './processes.ts';

const child = (role: RecordedChild['role'], pid: number, graceMs = 1_000, name: string = role): RecordedChild => ({
  role,
  name,
  pid,
  start: `s${pid}`,
  graceMs,
});

const record: DevRecord = {
  launcher: { pid: 10, start: 's10' },
  children: [child('keeper', 11), child('nats-server', 12, 5_000), child('pod', 13, 35_000, 'counter-ab12cd'), child('pod', 14, 35_000, 'account-0f0f0f')],
};

/** Running: the refs whose pid and start are in `alive`. */
const runningOf = (alive: ProcessRef[]) => (ref: ProcessRef) => alive.some((a) => a.pid === ref.pid && a.start === ref.start);

describe('decideClaim', () => {
  it('finds the data dir free without a record, and when nothing of the record runs', () => {
    expect(decideClaim(undefined, () => true)).toEqual({ kind: 'free' });
    expect(decideClaim(record, () => false)).toEqual({ kind: 'free' });
  });

  it('finds it taken while the colony dev of the record runs', () => {
    expect(decideClaim(record, runningOf([record.launcher]))).toEqual({ kind: 'taken', launcherPid: 10 });
  });

  it('finds the leftovers of a gone colony dev: the recorded processes that still run', () => {
    const nats = record.children[1] as RecordedChild;
    expect(decideClaim(record, runningOf([nats]))).toEqual({ kind: 'leftovers', launcherPid: 10, children: [nats] });
  });

  it('never takes a process that reused a pid (another start time) for one of ours', () => {
    const reused = [{ pid: 10, start: 'later' }, { pid: 12, start: 'later' }, { pid: 13, start: 'later' }];
    expect(decideClaim(record, runningOf(reused))).toEqual({ kind: 'free' });
  });

  it('names the processes for the user', () => {
    expect(describeChildren(record.children.slice(1, 3))).toBe('nats-server (pid 12), pod counter-ab12cd (pid 13)');
  });
});

/**
 * A machine with a clock that moves only when stopping sleeps: each process
 * exits `exitAfterMs` after SIGTERM (never, for undefined), at once on SIGKILL.
 */
function fakeMachine(exitAfterMs: Record<number, number | undefined>, unkillable: number[] = []) {
  let now = 0;
  const alive = new Map<number, number>(); // pid → when it exits
  for (const pid of Object.keys(exitAfterMs)) alive.set(Number(pid), Number.POSITIVE_INFINITY);
  const signals: string[] = [];
  const control: ProcessControl = {
    running: (ref) => (alive.get(ref.pid) ?? -1) > now && ref.start === `s${ref.pid}`,
    signal: (ref, signal) => {
      if (!control.running(ref)) return;
      signals.push(`${now} ${signal} ${ref.pid}`);
      if (signal === 'SIGKILL' && !unkillable.includes(ref.pid)) alive.set(ref.pid, now);
      const after = exitAfterMs[ref.pid];
      if (signal === 'SIGTERM' && after !== undefined) alive.set(ref.pid, Math.min(alive.get(ref.pid) as number, now + after));
    },
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  };
  return { control, signals, now: () => now };
}

describe('stopLeftovers', () => {
  it('stops the keeper, then the pods, then nats-server, each after the one before is gone', async () => {
    const machine = fakeMachine({ 11: 0, 12: 300, 13: 1_200, 14: 800 });
    const outcome = await stopLeftovers(record.children, machine.control);
    expect(outcome).toEqual({ killed: [], remaining: [] });
    expect(machine.signals).toEqual(['0 SIGTERM 11', '0 SIGTERM 13', '0 SIGTERM 14', '1200 SIGTERM 12']);
    expect(machine.now()).toBe(1_500);
  });

  it('kills with SIGKILL what does not stop within the longest grace of its group', async () => {
    const machine = fakeMachine({ 11: 0, 12: 100, 13: undefined, 14: 500 });
    const outcome = await stopLeftovers(record.children, machine.control);
    expect(outcome.killed.map((c) => c.pid)).toEqual([13]);
    expect(outcome.remaining).toEqual([]);
    expect(machine.signals).toEqual(['0 SIGTERM 11', '0 SIGTERM 13', '0 SIGTERM 14', '35000 SIGKILL 13', '35000 SIGTERM 12']);
  });

  it('gives up on a process that survives SIGKILL, and reports it', async () => {
    const machine = fakeMachine({ 12: undefined }, [12]);
    const outcome = await stopLeftovers([child('nats-server', 12, 5_000)], machine.control);
    expect(outcome.remaining.map((c) => c.pid)).toEqual([12]);
    expect(machine.now()).toBe(5_000 + KILL_WAIT_MS);
  });

  it('leaves alone a process that reused a recorded pid', async () => {
    const machine = fakeMachine({ 12: 0 });
    const outcome = await stopLeftovers([{ ...child('nats-server', 12), start: 'earlier' }], machine.control);
    expect(outcome).toEqual({ killed: [], remaining: [] });
    expect(machine.signals).toEqual([]);
  });
});
