/**
 * Deadlock detection between call chains, by edge chasing (Chandy–Misra–Haas).
 *
 * An instance whose running turn waits on calls it made, while calls from
 * other instances wait in its mailbox, may be part of a wait cycle:
 * A waits on B, B waits on C, C's call waits in A's mailbox. Such an instance
 * sends a probe along the instances it waits on; each instance that is itself
 * waiting forwards it along its own waits. A probe that comes back to where it
 * started proves the cycle: that instance refuses the queued call of the last
 * instance on the probe's path (`aborted`), whose turn then rolls back and
 * releases the cycle. Probes travel as the `probe` operation of a call
 * (HEADER.op), not as a method. Two-instance cycles are caught without
 * probes, where the second call arrives or the second wait starts (waits.ts).
 */
/** Longest wait cycle detected; longer ones end at their deadlines. */
export const MAX_PROBE_HOPS = 16;

export interface Probe {
  /** The instance (`agent/key`) that sent the probe first. */
  origin: string;
  /** Instances the probe went through, in order, after the origin. */
  path: string[];
}

export function isProbe(value: unknown): value is Probe {
  if (typeof value !== 'object' || value === null) return false;
  const probe = value as Record<string, unknown>;
  return typeof probe.origin === 'string' && Array.isArray(probe.path) && probe.path.every((p) => typeof p === 'string');
}

export type ProbeStep =
  /** The probe came back: the origin refuses the queued calls of `from`. */
  | { kind: 'cycle'; from: string }
  /** Pass the probe on to these instances. */
  | { kind: 'forward'; to: string[]; probe: Probe }
  | { kind: 'drop' };

/** What an instance does with a probe, given whom its running turn waits on. A pure function. */
export function stepProbe(probe: Probe, self: string, waitingOn: Iterable<string>): ProbeStep {
  const targets = [...waitingOn];
  if (probe.origin === self) {
    const from = probe.path.at(-1);
    return from !== undefined && targets.length > 0 ? { kind: 'cycle', from } : { kind: 'drop' };
  }
  if (targets.length === 0 || probe.path.includes(self) || probe.path.length >= MAX_PROBE_HOPS) return { kind: 'drop' };
  return { kind: 'forward', to: targets, probe: { origin: probe.origin, path: [...probe.path, self] } };
}

/** Splits an instance address `agent/key` (agent names have no `/`; keys may). */
export function splitAddress(address: string): { agent: string; key: string } {
  const slash = address.indexOf('/');
  return { agent: address.slice(0, slash), key: address.slice(slash + 1) };
}
