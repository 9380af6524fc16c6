/**
 * The autoscaler: how many pods an Agent should run, decided from its pods' load
 * reports, as a pure function of its inputs and `now` (Knative's KPA,
 * `Scale(metrics, spec, now)`, with its memory passed in and returned as a value).
 *
 * - Desire: turns in flight plus queued calls over `targetInflight`, or active
 *   instances over `targetActiveInstances`, whichever needs more pods, from the
 *   stable-window average; in panic (the panic-window desire is at least
 *   `panicThreshold` × the ready pods) from the panic window, and never down.
 * - Up at once, to at most ×`maxScaleUpRate` (or +`scaleUpStepPods`) of the ready pods.
 * - Down only after the load has fitted fewer pods for `scaleDownDelayMs`, to at
 *   least 1/`maxScaleDownRate` of the current count, one step per delay.
 * - Missing or too few reports never scale down (and so never to zero); the reports
 *   there are can still scale up, since pods that did not report can only add load.
 * - To zero only with `minReplicas: 0` after `scaleToZeroAfterMs` without a turn,
 *   a call in flight or queued, or a demand signal; from zero on a new demand signal,
 *   or when one of its instances is due (`wakeAt`: a reminder, a workflow timer).
 */
import type { ScalingSpec } from '../manifest/agent-spec.ts';
import { formatDuration } from '../manifest/duration.ts';
import { averageLoad, reportCoverage, samplesInWindow } from './load-window.ts';
import type { LoadSample, ReportCoverage, WindowLoad } from './load-window.ts';
import { change, figure, podList, seconds } from './reason.ts';
import { DEFAULT_AUTOSCALER_TUNABLES } from './tunables.ts';
import type { AutoscalerTunables } from './tunables.ts';

/** What the autoscaler remembers between calls. The controller keeps the value it returned and passes it back. */
export interface AutoscalerState {
  /** When the current panic began; undefined when not in panic. */
  readonly panicSince: number | undefined;
  /** The last time the panic window met the threshold: panic ends a stable window later. */
  readonly panicLastOverAt: number | undefined;
  /** Since when, with complete reports, the load has needed fewer pods than there are (the scale-down delay). */
  readonly lowSince: number | undefined;
  /** The most pods the load needed since `lowSince`: a step down goes no lower. */
  readonly lowPeak: number;
  /** The last time a call was seen: a turn completed, in flight or queued, or a demand signal. */
  readonly lastActiveAt: number | undefined;
  /** The newest demand signal already taken into account, so one waiting call wakes the Agent once. */
  readonly demandSeenAt: number | undefined;
}

/** The memory to start with: a new Agent, or any Agent after a controller restart. */
export const INITIAL_AUTOSCALER_STATE: AutoscalerState = Object.freeze({
  panicSince: undefined,
  panicLastOverAt: undefined,
  lowSince: undefined,
  lowPeak: 0,
  lastActiveAt: undefined,
  demandSeenAt: undefined,
});

export interface ScaleInput {
  scaling: ScalingSpec;
  /** The Agent's partitions: a pod beyond them would own none, so auto mode never asks for more. */
  partitions: number;
  /** Load reports of the Agent's pods (any pods, gone ones too) covering at least the stable window; older ones are ignored. */
  samples: readonly LoadSample[];
  /** The pods running and ready now. */
  readyPods: readonly string[];
  /** The replicas the previous decision asked for (the workload's replica count); 0 when scaled to zero. */
  previousReplicas: number;
  /** The newest time a call waited for this Agent because no pod served it (the gateway's demand signal). */
  demandAt: number | undefined;
  /** The earliest time one of its instances must be woken (a reminder, a workflow timer, a run to resume), from the wake index. */
  wakeAt?: number | undefined;
  /** Events of its subscriptions' topics not handled yet: load, as turns waiting (`targetInflight` of them per pod). */
  eventLag?: number | undefined;
  state: AutoscalerState;
  now: number;
}

export interface ScaleDecision {
  replicas: number;
  /** One sentence for `colony get agents` and Kubernetes Events. */
  reason: string;
  state: AutoscalerState;
}

/** Pods wanted for the load of one window, and the sentence that says why. */
interface Desire {
  replicas: number;
  why: string;
}

interface Bounds {
  /** The fewest pods while the Agent runs: minReplicas, and at least one (zero only by scale to zero). */
  floor: number;
  cap: number;
  capWhy: string;
}

/** How many pods the Agent should have now. Pure: no clock, no I/O, inputs untouched. */
export function decideScale(input: ScaleInput, tunables: AutoscalerTunables = DEFAULT_AUTOSCALER_TUNABLES): ScaleDecision {
  const { scaling, now, previousReplicas: previous, readyPods } = input;
  const window = samplesInWindow(input.samples, tunables.stableWindowMs, now);
  const activity = observeActivity(input, window);
  const calm: AutoscalerState = { ...INITIAL_AUTOSCALER_STATE, lastActiveAt: activity.lastActiveAt, demandSeenAt: activity.demandSeenAt };

  if (scaling.mode === 'manual') return manualDecision(scaling, calm);

  const bounds = boundsOf(scaling, input.partitions);
  if (previous === 0) {
    if (scaling.minReplicas > 0) return decision(bounds.floor, `${change(0, bounds.floor)}: minReplicas is ${scaling.minReplicas}`, calm);
    if (activity.newDemand) return decision(1, 'wake from zero: a call is waiting', calm);
    if (input.wakeAt !== undefined && input.wakeAt <= now) return decision(1, 'wake from zero: an instance is due (a reminder, a workflow timer or a run to resume)', { ...calm, lastActiveAt: now });
    return decision(0, 'hold at 0: no calls waiting', calm);
  }
  if (readyPods.length === 0) return bounded(previous, previous, 'no pod is ready yet', calm, scaling, bounds);

  const coverage = reportCoverage(window, readyPods, now, tunables);
  const quietMs = now - activity.lastActiveAt;
  const dueNow = input.wakeAt !== undefined && input.wakeAt <= now;
  if (scaling.minReplicas === 0 && coverage.missingPods.length === 0 && quietMs >= scaling.scaleToZeroAfterMs && !dueNow) {
    return decision(0, `scale to zero: no calls for ${formatDuration(scaling.scaleToZeroAfterMs)}`, calm);
  }
  return fromLoad(input, tunables, window, coverage, calm, bounds);
}

function fromLoad(
  input: ScaleInput,
  tunables: AutoscalerTunables,
  window: readonly LoadSample[],
  coverage: ReportCoverage,
  calm: AutoscalerState,
  bounds: Bounds,
): ScaleDecision {
  const { scaling, now, previousReplicas: previous, readyPods, state } = input;
  const ready = readyPods.length;
  const stableLoad = averageLoad(window, tunables.stableWindowMs, now, tunables.reportIntervalMs);
  const panicLoad = averageLoad(samplesInWindow(window, tunables.panicWindowMs, now), tunables.panicWindowMs, now, tunables.reportIntervalMs);
  const panicWanted = desireOf(panicLoad, ready, scaling, '').replicas;

  let panicSince = state.panicSince;
  let panicLastOverAt = state.panicLastOverAt;
  if (panicWanted >= tunables.panicThreshold * ready) {
    panicSince ??= now;
    panicLastOverAt = now;
  } else if (panicSince !== undefined && now - (panicLastOverAt ?? panicSince) >= tunables.stableWindowMs) {
    panicSince = undefined;
    panicLastOverAt = undefined;
  }
  const panicking = panicSince !== undefined;
  const mark = panicking ? ' (panic)' : '';
  const stable = desireOf(stableLoad, ready, scaling, mark);
  const panic = desireOf(panicLoad, ready, scaling, mark);
  const fromCalls = panicking && panic.replicas > stable.replicas ? panic : stable;
  const lag = input.eventLag ?? 0;
  const byLag = ceilOf(lag / scaling.targetInflight);
  // Events waiting count as turns waiting: a backlog asks for pods as a queue of calls would.
  const basis: Desire = byLag > fromCalls.replicas ? { replicas: byLag, why: `${lag} events waiting for its subscriptions, target ${scaling.targetInflight} per pod` } : fromCalls;
  const desired = Math.min(Math.max(basis.replicas, bounds.floor), bounds.cap);
  const why =
    basis.replicas > bounds.cap ? `${basis.why}; ${bounds.capWhy}` : basis.replicas < scaling.minReplicas ? `minReplicas is ${scaling.minReplicas}` : basis.why;
  const next: AutoscalerState = { ...calm, panicSince, panicLastOverAt };
  const hold = (because: string, memory = next): ScaleDecision => bounded(previous, previous, because, memory, scaling, bounds);

  if (desired > previous) {
    // Up at once, from what is ready: pods asked for but not ready yet do not count towards the next step.
    const limit = Math.max(Math.ceil(ready * tunables.maxScaleUpRate), ready + tunables.scaleUpStepPods);
    const to = Math.min(desired, limit);
    if (to <= previous) return hold(`${why}; needs ${desired}, waiting for ${previous - ready} of ${previous} pods to become ready`);
    const limited = to < desired ? `; ${desired} wanted, at most ${limit} while ${ready} ${ready === 1 ? 'is' : 'are'} ready` : '';
    return bounded(previous, to, `${why}${limited}`, next, scaling, bounds);
  }
  if (!coverage.complete) return hold(missingReports(coverage, tunables));
  if (desired === previous) return hold(why);
  if (panicking) {
    const leftMs = tunables.stableWindowMs - (now - (panicLastOverAt ?? now));
    return hold(`${why}; no scale-down in panic, which ends after ${seconds(leftMs)} without a burst`);
  }
  // Down only once the load has fitted fewer pods for the whole delay, and to what it needed at its highest.
  const lowSince = state.lowSince ?? now;
  const lowPeak = state.lowSince === undefined ? desired : Math.max(state.lowPeak, desired);
  const to = Math.max(lowPeak, Math.ceil(previous / tunables.maxScaleDownRate), bounds.floor);
  if (to >= previous) return hold(why);
  const waitedMs = now - lowSince;
  if (waitedMs < tunables.scaleDownDelayMs) {
    return hold(`${why}; scale down to ${to} in ${seconds(tunables.scaleDownDelayMs - waitedMs)}`, { ...next, lowSince, lowPeak });
  }
  // The delay to the next step starts now, and that step goes no lower than what the load needs now.
  return bounded(previous, to, why, { ...next, lowSince: now, lowPeak: desired }, scaling, bounds);
}

/** The pods one window's load needs: whichever of the two targets asks for more. */
function desireOf(load: WindowLoad, ready: number, scaling: ScalingSpec, mark: string): Desire {
  const byInflight = ceilOf(load.concurrency / scaling.targetInflight);
  const byInstances = ceilOf(load.activeInstances / scaling.targetActiveInstances);
  const over = seconds(load.spanMs);
  if (byInstances > byInflight) {
    return {
      replicas: byInstances,
      why: `${figure(load.activeInstances / ready)} active instances per pod over ${over}${mark}, target ${scaling.targetActiveInstances}`,
    };
  }
  return { replicas: byInflight, why: `${figure(load.concurrency / ready)} turns in flight per pod over ${over}${mark}, target ${scaling.targetInflight}` };
}

/** Ceiling that forgives floating-point dust: 2.0000000001 pods' worth of load is 2 pods. */
function ceilOf(value: number): number {
  return Math.max(0, Math.ceil(value - 1e-9));
}

function observeActivity(input: ScaleInput, window: readonly LoadSample[]): { lastActiveAt: number; newDemand: boolean; demandSeenAt: number | undefined } {
  const { state, now } = input;
  // After a restart the quiet clock starts now: an Agent is never scaled to zero on history it did not see.
  let lastActiveAt = state.lastActiveAt ?? now;
  for (const { at, load } of window) {
    if (load.turns > 0 || load.inflight > 0 || load.queued > 0) lastActiveAt = Math.max(lastActiveAt, at);
  }
  const demandAt = input.demandAt === undefined ? undefined : Math.min(input.demandAt, now);
  const newDemand = demandAt !== undefined && demandAt > (state.demandSeenAt ?? -Infinity);
  if (newDemand) lastActiveAt = Math.max(lastActiveAt, demandAt);
  return { lastActiveAt, newDemand, demandSeenAt: newDemand ? demandAt : state.demandSeenAt };
}

function manualDecision(scaling: ScalingSpec, state: AutoscalerState): ScaleDecision {
  const wanted = scaling.replicas ?? scaling.minReplicas;
  const replicas = Math.min(Math.max(wanted, 0), scaling.maxReplicas);
  const noun = replicas === 1 ? 'replica' : 'replicas';
  const capped = replicas < wanted ? ` (${wanted} asked, maxReplicas is ${scaling.maxReplicas})` : '';
  return decision(replicas, `manual: ${replicas} ${noun}${capped}`, state);
}

function boundsOf(scaling: ScalingSpec, partitions: number): Bounds {
  const floor = Math.max(scaling.minReplicas, 1);
  const byPartitions = partitions < scaling.maxReplicas;
  const cap = Math.max(floor, Math.min(scaling.maxReplicas, partitions));
  return { floor, cap, capWhy: byPartitions ? `only ${partitions} partitions to serve` : `maxReplicas is ${scaling.maxReplicas}` };
}

/** The decision, kept within [floor, cap] whatever the load said; the reason names the bound that applied. */
function bounded(previous: number, replicas: number, why: string, state: AutoscalerState, scaling: ScalingSpec, bounds: Bounds): ScaleDecision {
  if (replicas < bounds.floor) return decision(bounds.floor, `${change(previous, bounds.floor)}: minReplicas is ${scaling.minReplicas}`, state);
  if (replicas > bounds.cap) return decision(bounds.cap, `${change(previous, bounds.cap)}: ${bounds.capWhy}`, state);
  return decision(replicas, `${change(previous, replicas)}: ${why}`, state);
}

function missingReports(coverage: ReportCoverage, tunables: AutoscalerTunables): string {
  if (coverage.missingPods.length > 0) return `load reports missing for ${podList(coverage.missingPods)}`;
  return `only ${coverage.reports} of ${coverage.expectedReports} expected load reports in the last ${seconds(tunables.stableWindowMs)}`;
}

function decision(replicas: number, reason: string, state: AutoscalerState): ScaleDecision {
  return Object.freeze({ replicas, reason, state: Object.freeze({ ...state }) });
}
