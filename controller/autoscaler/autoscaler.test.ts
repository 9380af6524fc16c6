import { describe, expect, it } from 'vitest';
import { decideScale, INITIAL_AUTOSCALER_STATE } from './autoscaler.ts';
import type { AutoscalerState, ScaleInput } from './autoscaler.ts';
import { podIds, reports, scaling, steadyInput } from './test-load.ts';

const NOW = 1_000_000;

/** Calls the autoscaler every two seconds with the same pods, threading its state, while `input(t)` says what changes. */
function run(fromMs: number, toMs: number, input: (t: number, state: AutoscalerState, previous: number) => ScaleInput, start: { state?: AutoscalerState; replicas: number }) {
  let state = start.state ?? INITIAL_AUTOSCALER_STATE;
  let previous = start.replicas;
  const out: { at: number; replicas: number; reason: string }[] = [];
  for (let t = fromMs; t <= toMs; t += 2_000) {
    const result = decideScale(input(t, state, previous));
    state = result.state;
    previous = result.replicas;
    out.push({ at: t, replicas: result.replicas, reason: result.reason });
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

describe('decideScale: load', () => {
  it('holds when the load is at target', () => {
    const result = decideScale(steadyInput(NOW, podIds(3), 1));
    expect(result.replicas).toBe(3);
    expect(result.reason).toBe('hold at 3: 1.0 turns in flight per pod over 1m, target 1');
  });

  it('counts queued calls as load', () => {
    const input = steadyInput(NOW, podIds(2), 0, { samples: reports(podIds(2), NOW - 60_000, NOW, () => ({ inflight: 1, queued: 1 })) });
    expect(decideScale(input).replicas).toBe(4);
  });

  it('counts events waiting for its subscriptions as load, targetInflight of them per pod', () => {
    const idle = steadyInput(NOW, podIds(2), 0, { scaling: scaling({ targetInflight: 100, maxReplicas: 10 }) });
    const backlog = decideScale({ ...idle, eventLag: 450 });
    expect(backlog.replicas).toBe(5);
    expect(backlog.reason).toMatch(/450 events waiting for its subscriptions, target 100 per pod/);
    expect(decideScale({ ...idle, eventLag: 0 }).replicas).toBe(2);
  });

  it('scales on active instances when turns are idle', () => {
    const samples = reports(podIds(2), NOW - 60_000, NOW, () => ({ activeInstances: 1_400 }));
    const result = decideScale(steadyInput(NOW, podIds(2), 0, { samples }));
    expect(result.replicas).toBe(3);
    expect(result.reason).toBe('scale up 2 → 3: 1400 active instances per pod over 1m, target 1000');
  });

  it('scales up at once on the stable window without waiting for a delay', () => {
    const result = decideScale(steadyInput(NOW, podIds(2), 1.5));
    expect(result.replicas).toBe(3);
    expect(result.reason).toMatch(/^scale up 2 → 3: 1\.5 turns in flight per pod over 1m, target 1$/);
  });
});

describe('decideScale: panic', () => {
  const burst = (podCount: number, perPod: number) => (t: number, state: AutoscalerState, previous: number): ScaleInput =>
    steadyInput(t, podIds(podCount), 0, {
      // A minute at 1 per pod, then a burst in the last 4 seconds.
      samples: reports(podIds(podCount), t - 60_000, t, (_, at) => ({ inflight: at > t - 4_000 ? perPod : 1 })),
      previousReplicas: previous,
      state,
    });

  it('enters panic and scales up on the panic window when the burst needs twice the pods', () => {
    const result = decideScale(burst(1, 6)(NOW, INITIAL_AUTOSCALER_STATE, 1));
    // Panic window: 4 s at 6 and 2 s at 1 over 6 s = 4.33 → 5 pods; ready 1 may go to max(2, 1 + 4) = 5.
    expect(result.replicas).toBe(5);
    expect(result.reason).toBe('scale up 1 → 5: 4.3 turns in flight per pod over 6s (panic), target 1');
    expect(result.state.panicSince).toBe(NOW);
  });

  it('does not panic below the threshold and goes by the stable window', () => {
    // 2 pods, the panic window needs 3 < 2 × 2: no panic; the stable window needs 3 too.
    const result = decideScale(steadyInput(NOW, podIds(2), 1.5));
    expect(result.state.panicSince).toBeUndefined();
    expect(result.reason).not.toContain('panic');
  });

  it('never scales down in panic, and leaves panic a stable window after the last burst', () => {
    const entered = decideScale(burst(1, 6)(NOW, INITIAL_AUTOSCALER_STATE, 1));
    // Load collapses at once; the pods asked for are all ready.
    const calm = (t: number, state: AutoscalerState, previous: number) => steadyInput(t, podIds(previous), 0.1, { previousReplicas: previous, state });
    const after = run(NOW + 2_000, NOW + 90_000, calm, { state: entered.state, replicas: entered.replicas });
    const inPanic = after.filter(({ at }) => at < NOW + 60_000);
    expect(inPanic.every(({ replicas }) => replicas === 5)).toBe(true);
    expect(inPanic[0]?.reason).toMatch(/no scale-down in panic, which ends after 58s without a burst$/);
    // Out of panic at NOW + 60 s; then the scale-down delay of 30 s applies.
    const firstDown = after.find(({ replicas }) => replicas < 5);
    expect(firstDown?.at).toBe(NOW + 90_000);
    expect(firstDown?.replicas).toBe(3);
  });

  it('a burst that repeats keeps panic going', () => {
    let state = decideScale(burst(1, 6)(NOW, INITIAL_AUTOSCALER_STATE, 1)).state;
    state = decideScale(burst(5, 3)(NOW + 50_000, state, 5)).state;
    expect(state.panicSince).toBe(NOW);
    expect(state.panicLastOverAt).toBe(NOW + 50_000);
  });
});

describe('decideScale: rate limits and delay', () => {
  it('at most doubles the ready pods, or adds scaleUpStepPods, per decision', () => {
    const small = decideScale(steadyInput(NOW, podIds(2), 10));
    expect(small.replicas).toBe(6); // max(2 × 2, 2 + 4)
    expect(small.reason).toContain('10 wanted, at most 6 while 2 are ready');
    const large = decideScale(steadyInput(NOW, podIds(8), 5, { scaling: scaling({ maxReplicas: 100 }) }));
    expect(large.replicas).toBe(16); // max(8 × 2, 8 + 4)
  });

  it('bases the scale-up limit on ready pods, and waits for asked-for pods before going further', () => {
    const result = decideScale(steadyInput(NOW, podIds(1), 20, { previousReplicas: 5 }));
    expect(result.replicas).toBe(5);
    expect(result.reason).toMatch(/^hold at 5: .*needs 10, waiting for 4 of 5 pods to become ready$/);
  });

  it('scales down only after the delay, at most halving, one step per delay', () => {
    const calm = (t: number, state: AutoscalerState, previous: number) => steadyInput(t, podIds(previous), 0.05 * (10 / previous), { previousReplicas: previous, state });
    const decisions = run(NOW, NOW + 120_000, calm, { replicas: 10 });
    const steps = decisions.filter((d, i) => d.replicas !== (decisions[i - 1]?.replicas ?? 10));
    expect(steps.map(({ at, replicas }) => [at - NOW, replicas])).toEqual([
      [30_000, 5],
      [60_000, 3],
      [90_000, 2],
      [120_000, 1],
    ]);
    expect(decisions[0]?.reason).toMatch(/^hold at 10: .*; scale down to 5 in 30s$/);
  });

  it('a dip shorter than the delay does not scale down', () => {
    const dip = (t: number, state: AutoscalerState, previous: number) =>
      steadyInput(t, podIds(previous), 0, {
        // 4 pods at 1 each, with the stable window dipping below 3 pods' worth between 10 s and 30 s.
        samples: reports(podIds(previous), t - 60_000, t, (_, at) => ({ inflight: t - NOW >= 10_000 && t - NOW < 30_000 && at > t - 30_000 ? 0.2 : 1 })),
        previousReplicas: previous,
        state,
      });
    const decisions = run(NOW, NOW + 60_000, dip, { replicas: 4 });
    expect(decisions.some(({ reason }) => reason.includes('scale down to'))).toBe(true);
    expect(decisions.every(({ replicas }) => replicas === 4)).toBe(true);
  });

  it('goes down to the highest need seen during the delay', () => {
    let state = decideScale(steadyInput(NOW, podIds(8), 0.75)).state; // needs 6
    state = decideScale(steadyInput(NOW + 10_000, podIds(8), 0.25, { state })).state; // needs 2
    const result = decideScale(steadyInput(NOW + 30_000, podIds(8), 0.25, { state }));
    expect(result.replicas).toBe(6); // not 4 (halving) nor 2 (the need now)
  });
});

describe('decideScale: bounds', () => {
  it('never asks for more than maxReplicas', () => {
    const result = decideScale(steadyInput(NOW, podIds(8), 1.5));
    expect(result.replicas).toBe(10);
    expect(result.reason).toBe('scale up 8 → 10: 1.5 turns in flight per pod over 1m, target 1; maxReplicas is 10');
  });

  it('never asks for more pods than there are partitions', () => {
    const result = decideScale(steadyInput(NOW, podIds(2), 5, { partitions: 4 }));
    expect(result.replicas).toBe(4);
    expect(result.reason).toContain('only 4 partitions to serve');
  });

  it('keeps minReplicas without load', () => {
    const input = steadyInput(NOW, podIds(3), 0, { scaling: scaling({ minReplicas: 3 }), state: { ...INITIAL_AUTOSCALER_STATE, lowSince: NOW - 60_000 } });
    const result = decideScale(input);
    expect(result.replicas).toBe(3);
    expect(result.reason).toBe('hold at 3: minReplicas is 3');
  });

  it('follows a lowered maxReplicas or a raised minReplicas at once', () => {
    expect(decideScale(steadyInput(NOW, podIds(12), 1, { scaling: scaling({ maxReplicas: 10 }) }))).toMatchObject({
      replicas: 10,
      reason: 'scale down 12 → 10: maxReplicas is 10',
    });
    expect(decideScale(steadyInput(NOW, podIds(1), 0, { scaling: scaling({ minReplicas: 8 }) }))).toMatchObject({
      replicas: 8,
      reason: 'scale up 1 → 8: minReplicas is 8',
    });
  });

  it('keeps one pod with minReplicas 0 while calls are recent', () => {
    const input = steadyInput(NOW, podIds(2), 0, { scaling: scaling({ minReplicas: 0 }), state: { ...INITIAL_AUTOSCALER_STATE, lowSince: NOW - 60_000 } });
    expect(decideScale(input).replicas).toBe(1);
  });
});

describe('decideScale: manual mode', () => {
  it.each([
    [{ replicas: 3 }, 3, 'manual: 3 replicas'],
    [{ replicas: undefined, minReplicas: 2 }, 2, 'manual: 2 replicas'],
    [{ replicas: 0 }, 0, 'manual: 0 replicas'],
    [{ replicas: 1, minReplicas: 4 }, 1, 'manual: 1 replica'],
    [{ replicas: 20 }, 10, 'manual: 10 replicas (20 asked, maxReplicas is 10)'],
  ])('%o → %i', (spec, replicas, reason) => {
    // Heavy load, a waiting call and no pods: manual mode ignores them all.
    const input = steadyInput(NOW, podIds(2), 50, { scaling: scaling({ mode: 'manual', ...spec }), demandAt: NOW, previousReplicas: 0 });
    expect(decideScale(input)).toMatchObject({ replicas, reason });
  });
});

describe('decideScale: missing reports', () => {
  it('holds when a ready pod has not reported yet, rather than scaling down', () => {
    const input = steadyInput(NOW, podIds(4), 0.1, { readyPods: [...podIds(4), 'pod-new'], previousReplicas: 5, state: { ...INITIAL_AUTOSCALER_STATE, lowSince: NOW - 60_000 } });
    expect(decideScale(input)).toMatchObject({ replicas: 5, reason: 'hold at 5: load reports missing for pod pod-new' });
  });

  it('holds on an empty window after a controller restart: neither max nor zero', () => {
    const input = steadyInput(NOW, podIds(4), 0, { samples: [], scaling: scaling({ minReplicas: 0, scaleToZeroAfterMs: 0 }) });
    expect(decideScale(input)).toMatchObject({ replicas: 4, reason: 'hold at 4: load reports missing for pods pod-1, pod-2 and 2 more' });
  });

  it('holds with fewer than half the expected reports, as after a restart', () => {
    const input = steadyInput(NOW, podIds(4), 0.1, { samples: reports(podIds(4), NOW - 20_000, NOW, () => ({ inflight: 0.1 })) });
    expect(decideScale(input)).toMatchObject({ replicas: 4, reason: 'hold at 4: only 80 of 240 expected load reports in the last 1m' });
  });

  it('holds when a pod stopped reporting', () => {
    const samples = reports(podIds(3), NOW - 60_000, NOW, (podId, at) => (podId === 'pod-3' && at > NOW - 10_000 ? { inflight: Number.NaN } : { inflight: 0 }));
    const input = steadyInput(NOW, podIds(3), 0, { samples: samples.filter((s) => !Number.isNaN(s.load.inflight)), state: { ...INITIAL_AUTOSCALER_STATE, lowSince: NOW - 60_000 } });
    expect(decideScale(input)).toMatchObject({ replicas: 3, reason: 'hold at 3: load reports missing for pod pod-3' });
  });

  it('still scales up on the reports it has, never beyond what they show', () => {
    // Two of four pods report 3 each; the two silent ones can only add load.
    const samples = reports(podIds(2), NOW - 60_000, NOW, () => ({ inflight: 3 }));
    const result = decideScale(steadyInput(NOW, podIds(4), 0, { samples }));
    expect(result.replicas).toBe(6);
  });

  it('holds while no pod is ready, and does not scale to zero then', () => {
    const input = steadyInput(NOW, [], 0, {
      samples: [],
      previousReplicas: 1,
      scaling: scaling({ minReplicas: 0 }),
      state: { ...INITIAL_AUTOSCALER_STATE, lastActiveAt: NOW - 3_600_000 },
    });
    expect(decideScale(input)).toMatchObject({ replicas: 1, reason: 'hold at 1: no pod is ready yet' });
  });
});

describe('decideScale: scale to zero and back', () => {
  const idle = (t: number, state: AutoscalerState, previous: number, overrides: Partial<ScaleInput> = {}): ScaleInput =>
    steadyInput(t, podIds(previous), 0, { scaling: scaling({ minReplicas: 0 }), previousReplicas: previous, state, ...overrides });

  it('scales to zero after the quiet period, not before', () => {
    const start = { ...INITIAL_AUTOSCALER_STATE, lastActiveAt: NOW };
    expect(decideScale(idle(NOW + 299_000, start, 1)).replicas).toBe(1);
    expect(decideScale(idle(NOW + 300_000, start, 1))).toMatchObject({ replicas: 0, reason: 'scale to zero: no calls for 5m' });
  });

  it('needs minReplicas 0', () => {
    const input = idle(NOW + 3_600_000, { ...INITIAL_AUTOSCALER_STATE, lastActiveAt: NOW }, 1, { scaling: scaling({ minReplicas: 1 }) });
    expect(decideScale(input).replicas).toBe(1);
  });

  it('starts the quiet clock at the first call after a restart', () => {
    const first = decideScale(idle(NOW, INITIAL_AUTOSCALER_STATE, 1));
    expect(first.replicas).toBe(1);
    expect(first.state.lastActiveAt).toBe(NOW);
  });

  it('a single turn resets the quiet clock', () => {
    const decisions = run(
      NOW,
      NOW + 600_000,
      (t, state, previous) =>
        idle(t, state, previous, {
          // One turn completed at NOW + 240 s, and nothing else.
          samples: reports(podIds(previous), t - 60_000, t, (_, at) => ({ turns: at === NOW + 240_000 ? 1 : 0 })),
        }),
      { replicas: 1, state: { ...INITIAL_AUTOSCALER_STATE, lastActiveAt: NOW } },
    );
    const zero = decisions.find(({ replicas }) => replicas === 0);
    expect(zero?.at).toBe(NOW + 540_000);
  });

  it('counts a call in flight or queued as activity', () => {
    const start = { ...INITIAL_AUTOSCALER_STATE, lastActiveAt: NOW };
    const t = NOW + 300_000;
    const queued = idle(t, start, 1, { samples: reports(podIds(1), t - 60_000, t, (_, at) => ({ queued: at === t - 1_000 ? 1 : 0 })) });
    expect(decideScale(queued).replicas).toBe(1);
  });

  it('wakes from zero at once on a demand signal, exactly once per signal', () => {
    const woken = decideScale(idle(NOW, INITIAL_AUTOSCALER_STATE, 0, { samples: [], readyPods: [], demandAt: NOW - 50 }));
    expect(woken).toMatchObject({ replicas: 1, reason: 'wake from zero: a call is waiting' });
    // Later at zero again, the same old signal wakes nothing; a newer one does.
    const later = NOW + 600_000;
    const zeroAgain = { ...woken.state, lastActiveAt: NOW };
    expect(decideScale(idle(later, zeroAgain, 0, { samples: [], readyPods: [], demandAt: NOW - 50 }))).toMatchObject({ replicas: 0, reason: 'hold at 0: no calls waiting' });
    expect(decideScale(idle(later, zeroAgain, 0, { samples: [], readyPods: [], demandAt: later - 10 })).replicas).toBe(1);
  });

  it('wakes from zero when an instance is due (a reminder, a workflow timer, a run to resume), not before', () => {
    const atZero = (wakeAt: number | undefined): ScaleInput => idle(NOW, { ...INITIAL_AUTOSCALER_STATE, lastActiveAt: NOW - 600_000 }, 0, { samples: [], readyPods: [], wakeAt });
    expect(decideScale(atZero(NOW + 1_000))).toMatchObject({ replicas: 0 });
    expect(decideScale(atZero(undefined))).toMatchObject({ replicas: 0 });
    const woken = decideScale(atZero(NOW));
    expect(woken).toMatchObject({ replicas: 1, reason: 'wake from zero: an instance is due (a reminder, a workflow timer or a run to resume)' });
    expect(woken.state.lastActiveAt).toBe(NOW);
  });

  it('does not scale to zero while an instance is due', () => {
    const quiet = { ...INITIAL_AUTOSCALER_STATE, lastActiveAt: NOW };
    const t = NOW + 300_000;
    expect(decideScale(idle(t, quiet, 1, { wakeAt: t - 5 })).replicas).toBe(1);
    expect(decideScale(idle(t, quiet, 1, { wakeAt: t + 60_000 })).replicas).toBe(0);
  });

  it('ignores turns that draining pods finish after the decision to go to zero', () => {
    const input = idle(NOW, { ...INITIAL_AUTOSCALER_STATE, lastActiveAt: NOW - 400_000 }, 0, {
      samples: reports(podIds(1), NOW - 5_000, NOW, () => ({ turns: 1 })),
      readyPods: [],
    });
    expect(decideScale(input).replicas).toBe(0);
  });

  it('counts a demand signal as activity while pods run', () => {
    const start = { ...INITIAL_AUTOSCALER_STATE, lastActiveAt: NOW };
    const t = NOW + 300_000;
    expect(decideScale(idle(t, start, 1, { demandAt: t - 1_000 })).replicas).toBe(1);
  });
});

describe('decideScale: purity', () => {
  it('does not mutate its inputs and gives the same answer twice', () => {
    const input = deepFreeze(steadyInput(NOW, podIds(2), 3, { state: { ...INITIAL_AUTOSCALER_STATE, lowSince: NOW - 5_000, lowPeak: 1 } }));
    const first = decideScale(input);
    expect(decideScale(input)).toEqual(first);
    expect(Object.isFrozen(first.state)).toBe(true);
  });
});
