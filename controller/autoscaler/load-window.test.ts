import { describe, expect, it } from 'vitest';
import { averageLoad, reportCoverage, samplesInWindow, trimLoadHistory } from './load-window.ts';
import { podIds, report, reports } from './test-load.ts';
import { autoscalerTunables, DEFAULT_AUTOSCALER_TUNABLES } from './tunables.ts';

const NOW = 500_000;
const average = (samples: Parameters<typeof averageLoad>[0], windowMs = 60_000) => averageLoad(samplesInWindow(samples, windowMs, NOW), windowMs, NOW, 1_000);

describe('averageLoad', () => {
  it('sums pods and averages over time', () => {
    const samples = reports(podIds(3), NOW - 60_000, NOW, (_, at) => ({ inflight: at > NOW - 30_000 ? 2 : 0, queued: 1, activeInstances: 10 }));
    const load = average(samples);
    expect(load.concurrency).toBeCloseTo(3 * (1 + 1), 9);
    expect(load.activeInstances).toBeCloseTo(30, 9);
    expect(load.spanMs).toBe(60_000);
    expect(load.reports).toBe(180);
  });

  it('counts a pod that joined or left halfway for half', () => {
    const stayed = reports(['a'], NOW - 60_000, NOW, () => ({ inflight: 2 }));
    const left = reports(['b'], NOW - 60_000, NOW - 30_000, () => ({ inflight: 2 }));
    const joined = reports(['c'], NOW - 30_000, NOW, () => ({ inflight: 2 }));
    expect(average([...stayed, ...left, ...joined]).concurrency).toBeCloseTo(2 + 1 + 1, 9);
  });

  it('keeps the total when load moves from a leaving pod to a new one', () => {
    const old = reports(['old'], NOW - 60_000, NOW - 20_000, () => ({ inflight: 4 }));
    const replacement = reports(['new'], NOW - 20_000, NOW, () => ({ inflight: 4 }));
    expect(average([...old, ...replacement]).concurrency).toBeCloseTo(4, 9);
  });

  it('counts a pod still reporting up to now, though its newest report is a moment old', () => {
    const stayed = reports(['a'], NOW - 60_000, NOW, () => ({ inflight: 0 }));
    // 30 reports half a second off the clock: there since NOW - 30.5 s, and still there.
    const joined = reports(['c'], NOW - 30_500, NOW - 500, () => ({ inflight: 6 }));
    expect(average([...stayed, ...joined]).concurrency).toBeCloseTo((6 * 30_500) / 60_000, 9);
  });

  it('is not moved by a pod that sent an extra report (timer jitter)', () => {
    const samples = [...reports(['a'], NOW - 60_000, NOW, () => ({ inflight: 3 })), { podId: 'a', at: NOW - 10_500, load: report({ inflight: 3 }) }];
    expect(average(samples).concurrency).toBeCloseTo(3, 9);
  });

  it('averages over the time covered when history is shorter than the window', () => {
    const samples = reports(podIds(2), NOW - 10_000, NOW, () => ({ inflight: 5 }));
    const load = average(samples);
    expect(load.spanMs).toBe(10_000);
    expect(load.concurrency).toBeCloseTo(10, 9);
  });

  it('is zero for an empty window', () => {
    expect(average([])).toEqual({ concurrency: 0, activeInstances: 0, spanMs: 0, reports: 0 });
  });
});

describe('reportCoverage', () => {
  it('names ready pods without a fresh report', () => {
    const samples = [...reports(['a'], NOW - 60_000, NOW, () => ({})), ...reports(['b'], NOW - 60_000, NOW - 5_000, () => ({}))];
    const coverage = reportCoverage(samples, ['a', 'b', 'c'], NOW, DEFAULT_AUTOSCALER_TUNABLES);
    expect(coverage.missingPods).toEqual(['b', 'c']);
    expect(coverage.complete).toBe(false);
  });

  it('is complete with every pod reporting over the window', () => {
    const coverage = reportCoverage(reports(podIds(2), NOW - 60_000, NOW, () => ({})), podIds(2), NOW, DEFAULT_AUTOSCALER_TUNABLES);
    expect(coverage).toEqual({ missingPods: [], reports: 120, expectedReports: 120, complete: true });
  });

  it('needs half the expected reports', () => {
    const short = reports(podIds(2), NOW - 29_000, NOW, () => ({}));
    expect(reportCoverage(short, podIds(2), NOW, DEFAULT_AUTOSCALER_TUNABLES).complete).toBe(false);
    const enough = reports(podIds(2), NOW - 30_000, NOW, () => ({}));
    expect(reportCoverage(enough, podIds(2), NOW, DEFAULT_AUTOSCALER_TUNABLES).complete).toBe(true);
  });
});

describe('trimLoadHistory', () => {
  it('drops what is older than the stable window, and nothing else', () => {
    const history = reports(['a'], NOW - 90_000, NOW + 1_000, () => ({}));
    const trimmed = trimLoadHistory(history, NOW, DEFAULT_AUTOSCALER_TUNABLES);
    expect(trimmed[0]?.at).toBe(NOW - 59_000);
    expect(trimmed.at(-1)?.at).toBe(NOW + 1_000);
    expect(trimmed).toHaveLength(61);
    expect(history).toHaveLength(91);
  });
});

describe('autoscalerTunables', () => {
  it('applies overrides to the defaults', () => {
    expect(autoscalerTunables({ stableWindowMs: 120_000 })).toEqual({ ...DEFAULT_AUTOSCALER_TUNABLES, stableWindowMs: 120_000 });
  });

  it.each([
    [{ panicWindowMs: 90_000 }, 'stableWindowMs must be at least panicWindowMs'],
    [{ maxScaleDownRate: 1 }, 'maxScaleDownRate must be above 1'],
    [{ maxScaleUpRate: 1, scaleUpStepPods: 0 }, 'would never scale up'],
    [{ reportIntervalMs: Number.NaN }, 'reportIntervalMs must be a finite number'],
  ])('refuses %o', (overrides, message) => {
    expect(() => autoscalerTunables(overrides)).toThrow(message);
  });
});
