/**
 * Test helpers for the autoscaler: load reports, a scaling spec, and a small
 * closed-loop simulation (pods report every second, the controller decides every
 * two seconds and starts or stops pods). Used by the tests next to it only.
 */
import type { LoadReport } from '../../agent-runtime/protocol/placement.ts';
import type { ScalingSpec } from '../manifest/agent-spec.ts';
import { decideScale, INITIAL_AUTOSCALER_STATE } from './autoscaler.ts';
import type { AutoscalerState, ScaleInput } from './autoscaler.ts';
import { trimLoadHistory } from './load-window.ts';
import type { LoadSample } from './load-window.ts';
import { DEFAULT_AUTOSCALER_TUNABLES } from './tunables.ts';
import type { AutoscalerTunables } from './tunables.ts';

export function report(load: Partial<LoadReport> = {}): LoadReport {
  return { inflight: 0, queued: 0, activeInstances: 0, turns: 0, turnLatencyP50Ms: 0, turnLatencyP99Ms: 0, cpu: 0, heapUsedBytes: 0, rssBytes: 0, ...load };
}

/** Targets of 1 turn in flight and 1000 active instances per pod, so numbers in tests read as pods. */
export function scaling(overrides: Partial<ScalingSpec> = {}): ScalingSpec {
  return {
    mode: 'auto',
    replicas: undefined,
    minReplicas: 1,
    maxReplicas: 10,
    targetInflight: 1,
    targetActiveInstances: 1_000,
    scaleToZeroAfterMs: 300_000,
    ...overrides,
  };
}

/** One report a second from each pod, at `fromMs + 1000`, … up to `toMs` inclusive. */
export function reports(podIds: readonly string[], fromMs: number, toMs: number, load: (podId: string, at: number) => Partial<LoadReport>): LoadSample[] {
  const samples: LoadSample[] = [];
  for (let at = fromMs + 1_000; at <= toMs; at += 1_000) {
    for (const podId of podIds) samples.push({ podId, at, load: report(load(podId, at)) });
  }
  return samples;
}

/** A decision input with a full minute of reports at `inflight` per pod, ending at `now`. */
export function steadyInput(now: number, podIds: readonly string[], inflightPerPod: number, overrides: Partial<ScaleInput> = {}): ScaleInput {
  return {
    scaling: scaling(),
    partitions: 64,
    samples: reports(podIds, now - 60_000, now, () => ({ inflight: inflightPerPod, turns: inflightPerPod > 0 ? 1 : 0 })),
    readyPods: podIds,
    previousReplicas: podIds.length,
    demandAt: undefined,
    state: INITIAL_AUTOSCALER_STATE,
    now,
    ...overrides,
  };
}

export const podIds = (count: number, prefix = 'pod'): string[] => Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);

/** The Agent's total load at one moment; the simulation splits it evenly over the ready pods. */
export interface TotalLoad {
  concurrency?: number;
  activeInstances?: number;
  turnsPerSecond?: number;
}

export interface SimulationOptions {
  spec?: Partial<ScalingSpec>;
  tunables?: AutoscalerTunables;
  /** Pods running at the start, with a stable window of history behind them. */
  startReplicas: number;
  /** Total load at time t (ms, from −60 s for the history). */
  load: (t: number) => TotalLoad;
  durationMs: number;
  decideEveryMs?: number;
  /** How long a new pod takes to become ready and report. */
  startupMs?: number;
}

export interface SimulatedDecision {
  at: number;
  replicas: number;
  ready: number;
  reason: string;
}

/**
 * Runs the autoscaler against a simulated Agent. A call waiting with no pod ready
 * raises the demand signal, as the gateway does.
 */
export function simulate(options: SimulationOptions): SimulatedDecision[] {
  const tunables = options.tunables ?? DEFAULT_AUTOSCALER_TUNABLES;
  const spec = scaling(options.spec);
  const decideEveryMs = options.decideEveryMs ?? 2_000;
  const startupMs = options.startupMs ?? 0;
  let nextId = 1;
  let pods: { podId: string; readyAt: number }[] = [];
  const start = (count: number, readyAt: number): void => {
    for (let i = 0; i < count; i += 1) pods.push({ podId: `pod-${nextId++}`, readyAt });
  };
  start(options.startReplicas, -Infinity);
  let history: LoadSample[] = [];
  let state: AutoscalerState = INITIAL_AUTOSCALER_STATE;
  let demandAt: number | undefined;
  const decisions: SimulatedDecision[] = [];
  for (let t = -tunables.stableWindowMs + 1_000; t <= options.durationMs; t += 1_000) {
    const ready = pods.filter((pod) => pod.readyAt <= t);
    const total = options.load(t);
    if (ready.length === 0 && (total.concurrency ?? 0) > 0) demandAt = t;
    for (const pod of ready) {
      const share = (value: number | undefined): number => (value ?? 0) / ready.length;
      history.push({
        podId: pod.podId,
        at: t,
        load: report({ inflight: share(total.concurrency), activeInstances: share(total.activeInstances), turns: share(total.turnsPerSecond) }),
      });
    }
    if (t < 0 || t % decideEveryMs !== 0) continue;
    history = trimLoadHistory(history, t, tunables);
    const result = decideScale(
      { scaling: spec, partitions: 64, samples: history, readyPods: ready.map((pod) => pod.podId), previousReplicas: pods.length, demandAt, state, now: t },
      tunables,
    );
    state = result.state;
    if (result.replicas > pods.length) start(result.replicas - pods.length, t + startupMs);
    else pods = pods.slice(0, result.replicas);
    decisions.push({ at: t, replicas: result.replicas, ready: ready.length, reason: result.reason });
  }
  return decisions;
}

/** The decisions that changed the replica count. */
export function changes(decisions: readonly SimulatedDecision[], startReplicas: number): { at: number; from: number; to: number }[] {
  const out: { at: number; from: number; to: number }[] = [];
  let current = startReplicas;
  for (const { at, replicas } of decisions) {
    if (replicas !== current) out.push({ at, from: current, to: replicas });
    current = replicas;
  }
  return out;
}
