/**
 * The autoscaler's knobs that are not part of an Agent's spec: one set for the
 * whole controller, like Knative's `config-autoscaler` ConfigMap.
 */
export interface AutoscalerTunables {
  /** Load is averaged over this window for normal decisions, and panic ends this long after the last burst. */
  stableWindowMs: number;
  /** The short window that detects a burst. */
  panicWindowMs: number;
  /** Panic when the panic-window desire is at least this many times the ready pods. */
  panicThreshold: number;
  /** A scale-up goes to at most this many times the ready pods… */
  maxScaleUpRate: number;
  /** …or to the ready pods plus this many, whichever is more. */
  scaleUpStepPods: number;
  /** A scale-down keeps at least the current replicas divided by this. */
  maxScaleDownRate: number;
  /** The load must fit fewer pods for this long before a step down, and steps down are this far apart. */
  scaleDownDelayMs: number;
  /** How often every pod reports its load (its heartbeat period). */
  reportIntervalMs: number;
  /** A ready pod whose newest report is older than this is missing. */
  reportStaleAfterMs: number;
  /** Below this fraction of the reports the ready pods should have sent over the stable window, the data is incomplete. */
  minReportFraction: number;
}

/** Knative's default: a minute of history smooths one-off spikes, yet follows a real change within a minute. */
export const DEFAULT_STABLE_WINDOW_MS = 60_000;
/** Knative's default (10 % of the stable window): six reports per pod, so one odd report cannot start a panic. */
export const DEFAULT_PANIC_WINDOW_MS = 6_000;
/** Knative's default (200 %): only a burst that needs twice the pods there are triggers panic. */
export const DEFAULT_PANIC_THRESHOLD = 2;
/**
 * Doubling from *ready* pods: a new pod takes over partitions, so doubling moves at most
 * half of them at once, and waiting for pods to become ready before asking for more stops
 * pending pods (no node, no GPU) from piling up on a bad metric.
 */
export const DEFAULT_MAX_SCALE_UP_RATE = 2;
/** With the rate alone one pod would need three rounds of pod start-up to reach five; this lets it go 1 → 5 at once. */
export const DEFAULT_SCALE_UP_STEP_PODS = 4;
/** Knative's default: at most halve per step, since every removed pod drains and its instances reactivate elsewhere. */
export const DEFAULT_MAX_SCALE_DOWN_RATE = 2;
/** A dip must last 30 s before pods go, and steps down are 30 s apart, so a lull between bursts does not flap. */
export const DEFAULT_SCALE_DOWN_DELAY_MS = 30_000;
/** Pods heartbeat every second (docs/DESIGN.md, Placement). */
export const DEFAULT_REPORT_INTERVAL_MS = 1_000;
/** Three missed heartbeats; the pod tracker declares a pod dead after five seconds. */
export const DEFAULT_REPORT_STALE_AFTER_MS = 3_000;
/** Half the expected reports: after a controller restart that is 30 s of history before scaling down. */
export const DEFAULT_MIN_REPORT_FRACTION = 0.5;

export const DEFAULT_AUTOSCALER_TUNABLES: Readonly<AutoscalerTunables> = Object.freeze({
  stableWindowMs: DEFAULT_STABLE_WINDOW_MS,
  panicWindowMs: DEFAULT_PANIC_WINDOW_MS,
  panicThreshold: DEFAULT_PANIC_THRESHOLD,
  maxScaleUpRate: DEFAULT_MAX_SCALE_UP_RATE,
  scaleUpStepPods: DEFAULT_SCALE_UP_STEP_PODS,
  maxScaleDownRate: DEFAULT_MAX_SCALE_DOWN_RATE,
  scaleDownDelayMs: DEFAULT_SCALE_DOWN_DELAY_MS,
  reportIntervalMs: DEFAULT_REPORT_INTERVAL_MS,
  reportStaleAfterMs: DEFAULT_REPORT_STALE_AFTER_MS,
  minReportFraction: DEFAULT_MIN_REPORT_FRACTION,
});

/**
 * The defaults with `overrides` applied, checked and frozen. Throws a RangeError
 * naming the first knob that makes no sense.
 */
export function autoscalerTunables(overrides: Partial<AutoscalerTunables> = {}): Readonly<AutoscalerTunables> {
  const tunables: AutoscalerTunables = { ...DEFAULT_AUTOSCALER_TUNABLES, ...overrides };
  const problems: [boolean, string][] = [
    [tunables.reportIntervalMs > 0, 'reportIntervalMs must be above 0'],
    [tunables.panicWindowMs >= tunables.reportIntervalMs, 'panicWindowMs must be at least reportIntervalMs'],
    [tunables.stableWindowMs >= tunables.panicWindowMs, 'stableWindowMs must be at least panicWindowMs'],
    [tunables.panicThreshold >= 1, 'panicThreshold must be at least 1'],
    [tunables.maxScaleUpRate >= 1, 'maxScaleUpRate must be at least 1'],
    [Number.isInteger(tunables.scaleUpStepPods) && tunables.scaleUpStepPods >= 0, 'scaleUpStepPods must be a whole number'],
    [tunables.maxScaleUpRate > 1 || tunables.scaleUpStepPods > 0, 'maxScaleUpRate 1 with scaleUpStepPods 0 would never scale up'],
    [tunables.maxScaleDownRate > 1, 'maxScaleDownRate must be above 1, or it would never scale down'],
    [tunables.scaleDownDelayMs >= 0, 'scaleDownDelayMs must not be negative'],
    [tunables.reportStaleAfterMs >= tunables.reportIntervalMs, 'reportStaleAfterMs must be at least reportIntervalMs'],
    [tunables.minReportFraction >= 0 && tunables.minReportFraction <= 1, 'minReportFraction must be between 0 and 1'],
  ];
  for (const [name, value] of Object.entries(tunables)) {
    if (!Number.isFinite(value)) throw new RangeError(`autoscaler: ${name} must be a finite number, not ${String(value)}`);
  }
  const broken = problems.find(([ok]) => !ok);
  if (broken) throw new RangeError(`autoscaler: ${broken[1]}`);
  return Object.freeze(tunables);
}
