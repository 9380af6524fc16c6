import { describe, expect, it } from 'vitest';
import type { PodHeartbeat } from '../../agent-runtime/protocol/placement.ts';
import { reports, scaling } from '../autoscaler/test-load.ts';
import type { ScalingSpec } from '../manifest/agent-spec.ts';
import { decideReconcile, INITIAL_RECONCILE_STATE, requestedReplicas } from './decide.ts';
import type { ReconcileDecision, ReconcileInput, ReconcileState } from './decide.ts';
import { heartbeat, NOW } from './test-pods.ts';

const manual = (replicas: number): ScalingSpec => scaling({ mode: 'manual', replicas });

function input(live: PodHeartbeat[], overrides: Partial<ReconcileInput> = {}): ReconcileInput {
  return {
    scaling: manual(1),
    partitions: 4,
    pods: live.map((pod) => pod.podId),
    live,
    silent: [],
    samples: [],
    demandAt: undefined,
    state: INITIAL_RECONCILE_STATE,
    ...overrides,
  };
}

/** Reconciles as the controller does: each decision's state goes into the next. */
function reconcileTimes(times: number, next: (state: ReconcileState, i: number) => ReconcileInput): ReconcileDecision[] {
  const out: ReconcileDecision[] = [];
  let state = INITIAL_RECONCILE_STATE;
  for (let i = 0; i < times; i += 1) {
    const decision = decideReconcile({ ...next(state, i), state }, NOW + i * 1_000);
    out.push(decision);
    state = decision.state;
  }
  return out;
}

describe('decideReconcile: scale-down', () => {
  // `a` serves nothing (it already handed its partitions over), `b` serves them all.
  const pods = (aState: PodHeartbeat['state'] = 'running') => [heartbeat('a', [], { state: aState }), heartbeat('b', [0, 1, 2, 3])];

  it('removes a pod that serves nothing at once, and keeps the Agent running the rest', () => {
    const decision = decideReconcile(input(pods()), NOW);
    expect(decision).toMatchObject({ replicas: 1, removable: ['a'], leaving: [], driverReplicas: 1 });
    expect(decision.state.leaving).toEqual([]);
  });

  it('never gives partitions to a pod it is removing (on a real node, that pod came back serving and the ReplicaSet replaced it, again and again)', () => {
    expect(decideReconcile(input(pods()), NOW).eligible).toEqual(['b']);
  });

  it('does not choose a draining pod again: once it reports draining it is not counted, chosen or removed again', () => {
    const [first, second] = reconcileTimes(2, (_, i) => input(pods(i === 0 ? 'running' : 'draining')));
    expect(first?.removable).toEqual(['a']);
    // `a` got its SIGTERM and says so in its heartbeat; the driver still lists it until it exits.
    expect(second).toMatchObject({ removable: [], leaving: [], driverReplicas: 1, eligible: ['b'] });
  });

  it('asks again for a pod that still reports running (Kubernetes kept it, as in a rollout), rather than forgetting it', () => {
    const decisions = reconcileTimes(2, () => input(pods()));
    expect(decisions.map((d) => d.removable)).toEqual([['a'], ['a']]);
  });

  it('moves the partitions of a leaving pod away before it is removed', () => {
    const live = [heartbeat('a', [0, 1]), heartbeat('b', [2, 3], { load: { inflight: 3 } })];
    const [first, second, third] = reconcileTimes(3, (_, i) => input(i < 2 ? live : [heartbeat('a', []), live[1] as PodHeartbeat]));
    expect(first).toMatchObject({ leaving: ['a'], removable: [], driverReplicas: 2, eligible: ['b'] });
    // Still releasing: `a` stays leaving and keeps running; it is not chosen twice.
    expect(second).toMatchObject({ leaving: ['a'], removable: [], driverReplicas: 2 });
    expect(third).toMatchObject({ leaving: [], removable: ['a'], driverReplicas: 1 });
  });

  it('removes a leaving pod that is no longer live, whatever it last served', () => {
    const live = [heartbeat('a', [0, 1]), heartbeat('b', [2, 3], { load: { inflight: 3 } })];
    const [, second] = reconcileTimes(2, (_, i) => ({ ...input(i === 0 ? live : [live[1] as PodHeartbeat]), pods: ['a', 'b'] }));
    expect(second).toMatchObject({ leaving: [], removable: ['a'] });
  });

  it.each<[string, PodHeartbeat[], string]>([
    ['fewest turns in flight or queued', [heartbeat('a', [0], { load: { inflight: 1 } }), heartbeat('b', [1], { load: { queued: 2 } }), heartbeat('c', [2, 3], { load: { activeInstances: 9 } })], 'c'],
    ['then fewest active instances', [heartbeat('a', [0], { load: { activeInstances: 2 } }), heartbeat('b', [1, 2], { load: { activeInstances: 1 } }), heartbeat('c', [3], { load: { activeInstances: 3 } })], 'b'],
    ['then fewest partitions', [heartbeat('a', [0, 1]), heartbeat('b', [2]), heartbeat('c', [3])], 'b'],
    ['then the newest', [heartbeat('a', [0], { startedAt: NOW - 3_000 }), heartbeat('b', [1], { startedAt: NOW - 1_000 }), heartbeat('c', [2], { startedAt: NOW - 2_000 })], 'b'],
  ])('chooses the idlest pod to leave: %s', (_, live, idlest) => {
    const decision = decideReconcile(input(live, { scaling: manual(2) }), NOW);
    expect(decision.leaving).toEqual([idlest]);
    expect(decision.eligible).not.toContain(idlest);
  });

  it('chooses pods without a heartbeat first: they serve nothing', () => {
    const decision = decideReconcile(input([heartbeat('b', [0, 1], { load: { activeInstances: 1 } })], { pods: ['a', 'b'] }), NOW);
    expect(decision.removable).toEqual(['a']);
  });
});

describe('decideReconcile: scale-up', () => {
  it('keeps the most recently chosen leaving pods when more pods are wanted again', () => {
    const live = [heartbeat('a', [0]), heartbeat('b', [1]), heartbeat('c', [2, 3], { load: { inflight: 1 } })];
    const state: ReconcileState = { ...INITIAL_RECONCILE_STATE, replicas: 1, leaving: ['a', 'b'] };
    const decision = decideReconcile(input(live, { scaling: manual(2), state }), NOW);
    expect(decision).toMatchObject({ replicas: 2, leaving: ['a'], driverReplicas: 3, eligible: ['b', 'c'] });
  });

  it('forgets leaving pods the driver no longer lists', () => {
    const state: ReconcileState = { ...INITIAL_RECONCILE_STATE, replicas: 1, leaving: ['gone'] };
    const decision = decideReconcile(input([heartbeat('b', [0, 1, 2, 3])], { state }), NOW);
    expect(decision.state.leaving).toEqual([]);
    expect(decision.removable).toEqual([]);
  });

  it('never makes a pod eligible that is not running', () => {
    const live = [heartbeat('a', [], { state: 'starting' }), heartbeat('b', [0, 1, 2, 3])];
    expect(decideReconcile(input(live, { scaling: manual(2) }), NOW).eligible).toEqual(['b']);
  });
});

describe('decideReconcile: the replica count', () => {
  const twoPods = [heartbeat('a', [0, 1]), heartbeat('b', [2, 3])];
  const busy = (live: PodHeartbeat[], at: number) => reports(live.map((pod) => pod.podId), at - 60_000, at, () => ({ inflight: 1, turns: 1 }));

  it('records the first decision, then only changes', () => {
    const decisions = reconcileTimes(3, (_, i) => input(twoPods, { scaling: manual(i < 2 ? 2 : 1) }));
    expect(decisions.map((d) => d.record && [d.record.from, d.record.to])).toEqual([[2, 2], undefined, [2, 1]]);
    expect(decisions[2]?.record).toEqual({ at: NOW + 2_000, from: 2, to: 1, reason: 'manual: 1 replica' });
  });

  it('starts from what the driver runs after a restart', () => {
    const decision = decideReconcile(input(twoPods, { scaling: scaling({ targetInflight: 1 }), samples: busy(twoPods, NOW) }), NOW);
    expect(decision.record).toMatchObject({ from: 2, to: 2 });
  });

  it('takes a count asked for with kubectl scale in auto mode at once, and autoscales on from there', () => {
    const before = scaling({ replicas: 2 });
    const after = scaling({ replicas: 5 });
    expect(requestedReplicas(before, after)).toBe(5);
    expect(requestedReplicas(after, after)).toBeUndefined();
    expect(requestedReplicas(scaling({ mode: 'manual', replicas: 2 }), scaling({ mode: 'manual', replicas: 5 }))).toBeUndefined();

    const state: ReconcileState = { ...INITIAL_RECONCILE_STATE, replicas: 2, override: 5 };
    const decision = decideReconcile(input(twoPods, { scaling: after, partitions: 64, samples: busy(twoPods, NOW), state }), NOW);
    expect(decision).toMatchObject({ replicas: 5, reason: 'scaled to 5 by request (spec.scaling.replicas); autoscaling continues from there' });
    expect(decision.record).toMatchObject({ from: 2, to: 5 });
    expect(decision.state).toMatchObject({ override: undefined, replicas: 5, autoscaler: { lowSince: NOW, lowPeak: 5, lastActiveAt: NOW } });
    // The load fits two pods, but the scale-down delay starts at the request: the next decision holds.
    const next = decideReconcile(input(twoPods, { scaling: after, partitions: 64, samples: busy(twoPods, NOW + 2_000), state: decision.state }), NOW + 2_000);
    expect(next.replicas).toBe(5);
  });

  it('keeps a requested count within minReplicas and maxReplicas', () => {
    const state: ReconcileState = { ...INITIAL_RECONCILE_STATE, replicas: 2, override: 50 };
    expect(decideReconcile(input(twoPods, { scaling: scaling({ maxReplicas: 8 }), state }), NOW).replicas).toBe(8);
  });

  it('does not count leaving pods as ready', () => {
    const state: ReconcileState = { ...INITIAL_RECONCILE_STATE, replicas: 2, leaving: ['a', 'b'] };
    const decision = decideReconcile(input(twoPods, { scaling: scaling(), samples: busy(twoPods, NOW), state }), NOW);
    expect(decision.reason).toBe('hold at 2: no pod is ready yet');
  });

  it('leaves its input untouched', () => {
    const state: ReconcileState = Object.freeze({ ...INITIAL_RECONCILE_STATE, replicas: 2, leaving: Object.freeze(['a']) });
    const frozen = Object.freeze(input(Object.freeze(twoPods) as PodHeartbeat[], { state, scaling: manual(1) }));
    expect(() => decideReconcile(frozen, NOW)).not.toThrow();
    expect(state.leaving).toEqual(['a']);
  });

  describe('a pod that went silent (blocked, paused, cut off)', () => {
    it('is replaced by a new pod while it is silent, and gets no partitions', () => {
      const decision = decideReconcile(input([heartbeat('b', [0, 1, 2, 3])], { pods: ['a', 'b'], silent: ['a'], scaling: manual(2) }), NOW);
      expect(decision.unresponsive).toEqual(['a']);
      expect(decision.driverReplicas).toBe(3);
      expect(decision.removable).toEqual([]);
      expect(decision.eligible).toEqual(['b']);
    });

    it('keeps an Agent of one pod served: the replacement starts at once', () => {
      const decision = decideReconcile(input([], { pods: ['a'], silent: ['a'] }), NOW);
      expect(decision.driverReplicas).toBe(2);
    });

    it('replaces at most as many pods as the Agent wants, or two', () => {
      const one = decideReconcile(input([], { pods: ['a', 'b', 'c'], silent: ['a', 'b', 'c'], scaling: manual(1) }), NOW);
      expect(one.unresponsive).toEqual(['a', 'b']);
      expect(one.driverReplicas).toBe(3);
      const three = decideReconcile(input([], { pods: ['a', 'b', 'c', 'd', 'e'], silent: ['a', 'b', 'c', 'd', 'e'], scaling: manual(3) }), NOW);
      expect(three.unresponsive).toEqual(['a', 'b', 'c']);
      expect(three.driverReplicas).toBe(6);
    });

    it('counts again once it heartbeats again: one pod too many, and the idlest leaves', () => {
      const back = decideReconcile(input([heartbeat('a', []), heartbeat('b', [0, 1, 2, 3], { load: { inflight: 3 } })], { pods: ['a', 'b'] }), NOW);
      expect(back.unresponsive).toEqual([]);
      expect(back.removable).toEqual(['a']);
      expect(back.driverReplicas).toBe(1);
    });
  });
});
