import type { TurnTableSnapshot, WatchedTurn } from './turn-table.ts';

export interface WatchdogOptions {
  /** A main thread silent this long is blocked: the watchdog says so, once per block. */
  reportAfterMs: number;
  /** How long past the deadline of every running turn a blocked pod is given before it is killed. */
  graceMs: number;
  /** How long a block outside any turn (Colony's code, a timer in agent code) may last before the pod is killed. */
  idleLimitMs: number;
}

export type Verdict =
  | { kind: 'running' }
  /** Blocked, within the running turns' deadlines (+ grace): say what runs. */
  | { kind: 'blocked'; blockedMs: number; killInMs: number; turns: WatchedTurn[]; untracked: number }
  /** Blocked past them: the pod is replaced. */
  | { kind: 'kill'; blockedMs: number; turns: WatchedTurn[]; untracked: number };

/**
 * What the watchdog does about the pod's main thread, a pure function of the
 * turn table and the time. A pod blocked past the latest deadline of the
 * turns it runs (plus a grace) is killed: no turn is ever cut off before its
 * deadline, and a pod that will not answer anything again is replaced.
 */
export function judge(table: TurnTableSnapshot, now: number, options: WatchdogOptions): Verdict {
  const blockedMs = now - table.lastTick;
  if (blockedMs < options.reportAfterMs) return { kind: 'running' };
  const turns = [...table.turns].sort((a, b) => a.startedAt - b.startedAt);
  const running = turns.length + table.overflow;
  const latest = Math.max(table.overflow > 0 ? table.overflowDeadline : 0, ...turns.map((turn) => turn.deadline));
  const killAt = running > 0 ? latest + options.graceMs : table.lastTick + options.idleLimitMs;
  if (now >= killAt) return { kind: 'kill', blockedMs, turns, untracked: table.overflow };
  return { kind: 'blocked', blockedMs, killInMs: killAt - now, turns, untracked: table.overflow };
}

/** `careless/wedge.spin (for 3.2 s, 0.8 s past its deadline)` */
export function describeTurns(turns: WatchedTurn[], untracked: number, now: number): string {
  const seconds = (ms: number): string => `${(ms / 1_000).toFixed(1)} s`;
  const parts = turns.slice(0, 5).map((turn) => {
    const left = turn.deadline - now;
    const deadline = left >= 0 ? `deadline in ${seconds(left)}` : `${seconds(-left)} past its deadline`;
    return `${turn.what} (for ${seconds(now - turn.startedAt)}, ${deadline})`;
  });
  const more = turns.length - parts.length + untracked;
  if (more > 0) parts.push(`${more} more`);
  return parts.length > 0 ? parts.join(', ') : 'no turn (the block is outside agent methods: a timer callback, or the runtime itself)';
}
