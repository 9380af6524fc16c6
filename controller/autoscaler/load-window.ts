import type { LoadReport } from '../../agent-runtime/protocol/placement.ts';
import type { AutoscalerTunables } from './tunables.ts';

/** One load report of one pod, stamped with the time the controller received it (ms). */
export interface LoadSample {
  podId: string;
  at: number;
  load: LoadReport;
}

/** The load of an Agent averaged over a window: totals across its pods, not per pod. */
export interface WindowLoad {
  /** Turns in flight plus calls queued, summed over pods. */
  concurrency: number;
  /** Active instances, summed over pods. */
  activeInstances: number;
  /** How much time the reports cover: the window, or less when history is shorter. */
  spanMs: number;
  reports: number;
}

/** Samples with `now - windowMs < at <= now`, in their order. */
export function samplesInWindow(samples: readonly LoadSample[], windowMs: number, now: number): LoadSample[] {
  return samples.filter((sample) => sample.at > now - windowMs && sample.at <= now);
}

/**
 * What the autoscaler needs of a history: the samples of the stable window. Pure;
 * returns a new array, oldest first as given. Samples stamped after `now` are kept
 * (a later call will be inside their window).
 */
export function trimLoadHistory(history: readonly LoadSample[], now: number, tunables: Pick<AutoscalerTunables, 'stableWindowMs'>): LoadSample[] {
  return history.filter((sample) => sample.at > now - tunables.stableWindowMs);
}

/**
 * Averages the samples of one window (already filtered to it) into Agent totals.
 *
 * Every pod contributes the mean of its reports, weighted by the share of the
 * window it was there for: from one interval before its first report to its last
 * report (or to now, for a pod still reporting). So a pod that joined or left
 * halfway counts for half, the totals stay steady while load moves between pods,
 * and a pod that happened to send one report more or less (timer jitter) does not
 * move the total. When the history is shorter than the window (a controller
 * restart, a pod that just woke from zero) the span shrinks to what is covered, so
 * the average is over the time actually seen rather than diluted by time not seen.
 */
export function averageLoad(window: readonly LoadSample[], windowMs: number, now: number, reportIntervalMs: number): WindowLoad {
  if (window.length === 0) return { concurrency: 0, activeInstances: 0, spanMs: 0, reports: 0 };
  const byPod = new Map<string, LoadSample[]>();
  let earliest = Infinity;
  for (const sample of window) {
    const mine = byPod.get(sample.podId);
    if (mine) mine.push(sample);
    else byPod.set(sample.podId, [sample]);
    earliest = Math.min(earliest, sample.at);
  }
  const spanMs = Math.min(windowMs, now - earliest + reportIntervalMs);
  let concurrency = 0;
  let activeInstances = 0;
  for (const reports of byPod.values()) {
    let first = Infinity;
    let last = -Infinity;
    let podConcurrency = 0;
    let podInstances = 0;
    for (const { at, load } of reports) {
      first = Math.min(first, at);
      last = Math.max(last, at);
      podConcurrency += load.inflight + load.queued;
      podInstances += load.activeInstances;
    }
    // A pod whose last report is within one interval of now is still there.
    const end = now - last < reportIntervalMs ? now : last;
    const presentMs = Math.min(spanMs, end - first + reportIntervalMs);
    const weight = presentMs / spanMs / reports.length;
    concurrency += podConcurrency * weight;
    activeInstances += podInstances * weight;
  }
  return { concurrency, activeInstances, spanMs, reports: window.length };
}

/** How complete the reports behind a decision are. */
export interface ReportCoverage {
  /** Ready pods without a report in the last `reportStaleAfterMs` (new pods, lost heartbeats). */
  missingPods: string[];
  reports: number;
  /** What the ready pods should have sent over the stable window. */
  expectedReports: number;
  /** No ready pod is missing and at least `minReportFraction` of the expected reports are there. */
  complete: boolean;
}

/** Checks the stable window's samples against the pods that are ready now. */
export function reportCoverage(window: readonly LoadSample[], readyPods: readonly string[], now: number, tunables: AutoscalerTunables): ReportCoverage {
  const newest = new Map<string, number>();
  for (const { podId, at } of window) newest.set(podId, Math.max(at, newest.get(podId) ?? -Infinity));
  const missingPods = readyPods.filter((podId) => now - (newest.get(podId) ?? -Infinity) > tunables.reportStaleAfterMs);
  const expectedReports = Math.floor((readyPods.length * tunables.stableWindowMs) / tunables.reportIntervalMs);
  const complete = readyPods.length > 0 && missingPods.length === 0 && window.length >= expectedReports * tunables.minReportFraction;
  return { missingPods, reports: window.length, expectedReports, complete };
}
