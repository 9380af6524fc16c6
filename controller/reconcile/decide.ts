/**
 * What one reconcile of an Agent decides, as a pure function of its inputs and
 * `now` (knative's shape: `decide(inputs, now) → result`, with the reconciler's
 * memory passed in and returned as a value): how many pods the Agent should
 * have, which pods leave (their partitions move away first), which of those the
 * driver may stop now, and which pods may be given partitions. The
 * AgentController only feeds it and carries out the result.
 *
 * - The replica count is the autoscaler's (decideScale), or a count asked for
 *   directly (`kubectl scale` in auto mode), which the autoscaler goes on from.
 * - A pod that reports draining is on its way out (told to stop, or stopping by
 *   itself): it is not counted or chosen again. Until it reports so, choosing it
 *   again only repeats the request, which drivers take once.
 * - Scale-down marks the least busy pods as leaving; scale-up while pods are
 *   leaving keeps the most recently marked ones instead of starting new pods.
 * - A leaving pod may be stopped once it serves no partition, or is not live.
 * - A pod that heartbeated and then went silent (its event loop blocked, the
 *   process paused or cut off) is unresponsive: its partitions went to others
 *   when it stopped heartbeating, and a new pod is started in its place (at
 *   most as many as the Agent wants, or two), so one blocked pod never leaves an Agent
 *   without pods. If it comes back, it counts again, and scale-down removes
 *   the idlest; if it does not, its watchdog ends it, or it is forgotten after
 *   ten pod timeouts and removed as a pod that is not live.
 */
import type { PodHeartbeat } from '../../agent-runtime/protocol/placement.ts';
import type { ScalingDecisionRecord } from '../../agent-runtime/protocol/registry.ts';
import { decideScale, INITIAL_AUTOSCALER_STATE } from '../autoscaler/autoscaler.ts';
import type { AutoscalerState } from '../autoscaler/autoscaler.ts';
import type { LoadSample } from '../autoscaler/load-window.ts';
import { DEFAULT_AUTOSCALER_TUNABLES } from '../autoscaler/tunables.ts';
import type { AutoscalerTunables } from '../autoscaler/tunables.ts';
import type { ScalingSpec } from '../manifest/agent-spec.ts';

/** What the reconciler of one Agent remembers between reconciles. The controller keeps the value returned and passes it back. */
export interface ReconcileState {
  /** Pods chosen for removal, in the order they were chosen: their partitions move away, then they are stopped. */
  readonly leaving: readonly string[];
  /** A replica count asked for directly (kubectl scale) while autoscaling, applied by the next decision. */
  readonly override: number | undefined;
  /** The replicas of the last decision; undefined until the first one (after a restart: what runs). */
  readonly replicas: number | undefined;
  readonly autoscaler: AutoscalerState;
}

/** The memory to start with: a new Agent, or any Agent after a controller restart. */
export const INITIAL_RECONCILE_STATE: ReconcileState = Object.freeze({
  leaving: Object.freeze([]),
  override: undefined,
  replicas: undefined,
  autoscaler: INITIAL_AUTOSCALER_STATE,
});

export interface ReconcileInput {
  scaling: ScalingSpec;
  partitions: number;
  /** The pods the driver runs, in its order; a pod stays listed until it is gone. */
  pods: readonly string[];
  /** The latest heartbeat of every live pod of the Agent. */
  live: readonly PodHeartbeat[];
  /** Pods that heartbeated and then went silent (not live, not stopped). */
  silent: readonly string[];
  /** Load reports of the Agent's pods for the autoscaler (see ScaleInput.samples). */
  samples: readonly LoadSample[];
  /** The newest time a call waited for this Agent because no pod served it. */
  demandAt: number | undefined;
  /** The earliest time one of its instances must be woken (the wake index). */
  wakeAt?: number | undefined;
  /** Events of its subscriptions not handled yet (EventLagWatch). */
  eventLag?: number | undefined;
  state: ReconcileState;
}

export interface ReconcileDecision {
  /** How many pods the Agent should have. */
  replicas: number;
  /** Why, in one sentence (the autoscaler's, or the direct request's). */
  reason: string;
  /** The decision to record in the Agent's history, when the count changed (or was first decided, or asked for). */
  record: ScalingDecisionRecord | undefined;
  /** Pods leaving that still serve partitions: they keep running until they have handed them over. */
  leaving: readonly string[];
  /** Pods the driver is to stop now: they left and serve nothing (or are not live). */
  removable: readonly string[];
  /** How many pods the driver keeps running besides the removable ones: the wanted ones, the leaving ones and the unresponsive ones. */
  driverReplicas: number;
  /** Listed pods that went silent: replaced by new pods while they are. */
  unresponsive: readonly string[];
  /** Pods that may be given partitions: live, running and not leaving. */
  eligible: readonly string[];
  state: ReconcileState;
}

/** One reconcile's decisions. Pure: no clock, no I/O, inputs untouched. */
export function decideReconcile(input: ReconcileInput, now: number, tunables: AutoscalerTunables = DEFAULT_AUTOSCALER_TUNABLES): ReconcileDecision {
  const { state } = input;
  const wanted = decideReplicas(input, now, tunables);
  const liveById = new Map(input.live.map((heartbeat) => [heartbeat.podId, heartbeat]));
  const silent = new Set(input.silent);
  // Replaced while they are silent, at most as many as wanted (two for an Agent of one pod: a call that blocks its pod is
  // sent again once, and may block the replacement too): a blocked pod never leaves the Agent without pods for long.
  const unresponsive = input.pods.filter((podId) => silent.has(podId)).slice(0, Math.max(2, wanted.replicas));
  const existing = input.pods.filter((podId) => liveById.get(podId)?.state !== 'draining' && !unresponsive.includes(podId));
  const stillThere = state.leaving.filter((podId) => existing.includes(podId));
  const chosen = chooseLeaving(existing, wanted.replicas, stillThere, liveById);
  // A leaving pod is removed once it serves no partition (it released them all) or is not live.
  const removable = chosen.filter((podId) => (liveById.get(podId)?.served.length ?? 0) === 0);
  const leaving = chosen.filter((podId) => !removable.includes(podId));
  // Not the removable ones either: a pod given partitions after the driver was told to stop it comes back
  // serving, is chosen again, and is replaced while it drains (a real ReplicaSet multiplied the pods).
  const eligible = runningStaying(input.live, chosen);
  return {
    replicas: wanted.replicas,
    reason: wanted.reason,
    record: wanted.record,
    leaving,
    removable,
    driverReplicas: wanted.replicas + leaving.length + unresponsive.length,
    unresponsive,
    eligible,
    state: { leaving, override: undefined, replicas: wanted.replicas, autoscaler: wanted.autoscaler },
  };
}

/** The replica count `kubectl scale` asks for in auto mode (spec.scaling.replicas changed), taken at once as a Deployment does under an HPA. */
export function requestedReplicas(before: ScalingSpec, after: ScalingSpec): number | undefined {
  const asked = after.replicas;
  return after.mode === 'auto' && asked !== undefined && asked !== before.replicas ? asked : undefined;
}

interface Wanted {
  replicas: number;
  reason: string;
  record: ScalingDecisionRecord | undefined;
  autoscaler: AutoscalerState;
}

/** How many pods the Agent should have now: the count asked for, else the autoscaler's. */
function decideReplicas(input: ReconcileInput, now: number, tunables: AutoscalerTunables): Wanted {
  const { scaling, state } = input;
  const previous = state.replicas ?? input.pods.length;
  if (state.override !== undefined) {
    const replicas = Math.min(Math.max(state.override, scaling.minReplicas), scaling.maxReplicas);
    const reason = `scaled to ${replicas} by request (spec.scaling.replicas); autoscaling continues from there`;
    // The autoscaler goes on from there: its scale-down delay keeps it from undoing the request at once.
    const autoscaler = { ...INITIAL_AUTOSCALER_STATE, lastActiveAt: now, lowSince: now, lowPeak: replicas };
    return { replicas, reason, record: { at: now, from: previous, to: replicas, reason }, autoscaler };
  }
  const readyPods = runningStaying(input.live, state.leaving);
  const decision = decideScale(
    {
      scaling,
      partitions: input.partitions,
      samples: input.samples,
      readyPods,
      previousReplicas: previous,
      demandAt: input.demandAt,
      wakeAt: input.wakeAt,
      eventLag: input.eventLag,
      state: state.autoscaler,
      now,
    },
    tunables,
  );
  const changed = decision.replicas !== previous || state.replicas === undefined;
  const record = changed ? { at: now, from: previous, to: decision.replicas, reason: decision.reason } : undefined;
  return { replicas: decision.replicas, reason: decision.reason, record, autoscaler: decision.state };
}

/** The live pods that run and are not leaving: those the autoscaler counts as ready, and placement may give partitions. */
function runningStaying(live: readonly PodHeartbeat[], leaving: readonly string[]): string[] {
  return live.filter((heartbeat) => heartbeat.state === 'running' && !leaving.includes(heartbeat.podId)).map((heartbeat) => heartbeat.podId);
}

/**
 * The pods leaving after this reconcile. Scale-down: the least busy pods join
 * them (their partitions move away first); scale-up while pods are leaving:
 * the most recently chosen ones stay after all.
 */
function chooseLeaving(existing: readonly string[], desired: number, leaving: readonly string[], live: ReadonlyMap<string, PodHeartbeat>): string[] {
  const staying = existing.filter((podId) => !leaving.includes(podId));
  if (staying.length > desired) {
    const byIdleness = [...staying].sort((a, b) => compareIdleness(live.get(a), live.get(b)));
    return [...leaving, ...byIdleness.slice(0, staying.length - desired)];
  }
  if (staying.length < desired) return leaving.slice(0, Math.max(0, leaving.length - (desired - staying.length)));
  return [...leaving];
}

/** Idlest first: fewest turns in flight or queued, then fewest active instances, then fewest partitions, then the newest. */
function compareIdleness(a: PodHeartbeat | undefined, b: PodHeartbeat | undefined): number {
  const [x, y] = [busyness(a), busyness(b)];
  for (let i = 0; i < x.length; i += 1) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return (b?.startedAt ?? 0) - (a?.startedAt ?? 0);
}

function busyness(heartbeat: PodHeartbeat | undefined): number[] {
  const load = heartbeat?.load;
  return [(load?.inflight ?? 0) + (load?.queued ?? 0), load?.activeInstances ?? 0, heartbeat?.served.length ?? 0];
}
