import type { KV } from '@nats-io/kv';
import { errorField } from '../agent-runtime/observability/log.ts';
import type { StructuredLogger } from '../agent-runtime/observability/log.ts';
import type { PlacementTable, PodHeartbeat } from '../agent-runtime/protocol/placement.ts';
import { decideScale, INITIAL_AUTOSCALER_STATE } from './autoscaler/autoscaler.ts';
import type { AutoscalerState } from './autoscaler/autoscaler.ts';
import { trimLoadHistory } from './autoscaler/load-window.ts';
import type { LoadSample } from './autoscaler/load-window.ts';
import type { AutoscalerTunables } from './autoscaler/tunables.ts';
import type { AgentSpecRecord, AgentStatusRecord, PodStatusRecord, ScalingDecisionRecord } from '../agent-runtime/protocol/registry.ts';
import { placementKey, registrySpecKey, registryStatusKey } from '../agent-runtime/protocol/subjects.ts';
import type { PodDriver } from './drivers/driver.ts';
import { planPlacement, sameOwners } from './placement/plan.ts';
import type { PodTracker, TrackedPod } from './pods/pod-tracker.ts';
import type { AgentSpec } from './manifest/agent-spec.ts';

export interface AgentControllerDeps {
  driver: PodDriver;
  tunables: Readonly<AutoscalerTunables>;
  tracker: PodTracker;
  placementKv: KV;
  registryKv: KV;
  log: StructuredLogger;
  now: () => number;
}

export type PodStatus = PodStatusRecord;
export type AgentStatus = Omit<AgentStatusRecord, 'updatedAt'>;
export type ScalingDecision = ScalingDecisionRecord;

/** Most recent scaling decisions kept per Agent, for status. */
export const MAX_DECISIONS = 20;

/**
 * Reconciles one Agent: the driver runs the right number of pods, and the
 * placement table moves partitions to live pods, two-phase. Reconciles of one
 * Agent never overlap; triggers that arrive meanwhile coalesce into one more run.
 */
export class AgentController {
  spec: AgentSpec;
  readonly #deps: AgentControllerDeps;
  #table: PlacementTable | undefined;
  #revision = 0;
  #running: Promise<void> | undefined;
  #again = false;
  #removed = false;
  /** Pods chosen for removal: their partitions are moved away, then they are stopped. */
  readonly #leaving = new Set<string>();
  /** The replicas of the last decision; undefined until the first one (after a restart: what runs). */
  #replicas: number | undefined;
  #reason = 'starting';
  #autoscaler: AutoscalerState = INITIAL_AUTOSCALER_STATE;
  #history: LoadSample[] = [];
  #demandAt: number | undefined;
  /** A replica count asked for directly (kubectl scale) while autoscaling, applied by the next decision. */
  #override: number | undefined;
  readonly #decisions: ScalingDecision[] = [];

  constructor(spec: AgentSpec, deps: AgentControllerDeps) {
    this.spec = spec;
    this.#deps = deps;
  }

  async start(): Promise<void> {
    const entry = await this.#deps.placementKv.get(placementKey(this.spec.namespace, this.spec.name));
    if (entry?.operation === 'PUT') {
      this.#table = entry.json<PlacementTable>();
      this.#revision = entry.revision;
    } else if (entry) {
      this.#revision = entry.revision;
    }
    await this.#publishSpec();
  }

  async update(spec: AgentSpec): Promise<void> {
    const asked = spec.scaling.replicas;
    // `kubectl scale` in auto mode: take the count now, as a Deployment does under an HPA; the
    // autoscaler goes on from there (its scale-down delay keeps it from undoing it at once).
    if (spec.scaling.mode === 'auto' && asked !== undefined && asked !== this.spec.scaling.replicas) this.#override = asked;
    this.spec = spec;
    await this.#publishSpec();
    this.trigger();
  }

  trigger(): void {
    if (this.#removed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
  }

  /** Resolves when no reconcile is running or queued. */
  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops reconciling for good (platform shutdown); pods are left to the driver. */
  async halt(): Promise<void> {
    this.#removed = true;
    await this.settled();
  }

  async remove(): Promise<void> {
    this.#removed = true;
    await this.settled();
    await this.#deps.driver.remove(this.spec.namespace, this.spec.name);
    await this.#deps.registryKv.delete(registrySpecKey(this.spec.namespace, this.spec.name)).catch(() => undefined);
    await this.#deps.registryKv.delete(registryStatusKey(this.spec.namespace, this.spec.name)).catch(() => undefined);
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.#reconcile();
      } catch (error) {
        this.#deps.log.error(`reconciling agent ${this.spec.name} failed; retrying on the next tick`, errorField(error));
      }
    } while (this.#again && !this.#removed);
  }

  async #reconcile(): Promise<void> {
    const { spec } = this;
    const { driver, tracker, now } = this.#deps;
    const at = now();
    const desired = this.#desired(at);
    const live = tracker.live(spec.namespace, spec.name, at);
    const liveById = new Map(live.map((pod) => [pod.podId, pod]));
    // A pod that reports draining is on its way out (told to stop, or stopping by itself): it is
    // not counted or chosen again. Until it reports so, choosing it again only repeats the request,
    // which drivers take once (a draining pod is never signalled twice).
    const existing = driver
      .pods(spec.namespace, spec.name)
      .map((pod) => pod.podId)
      .filter((podId) => liveById.get(podId)?.heartbeat.state !== 'draining');
    for (const podId of this.#leaving) if (!existing.includes(podId)) this.#leaving.delete(podId);
    this.#chooseLeaving(existing, desired, liveById);
    // A leaving pod is removed once it holds no partition (it released them all) or is not live.
    const removable = [...this.#leaving].filter((podId) => (liveById.get(podId)?.heartbeat.owned.length ?? 0) === 0);
    for (const podId of removable) this.#leaving.delete(podId);
    await driver.scale(spec, desired + this.#leaving.size, removable);

    const eligible = live.filter((pod) => pod.heartbeat.state === 'running' && !this.#leaving.has(pod.podId)).map((pod) => pod.podId);
    const holding = new Map(live.map((pod) => [pod.podId, pod.heartbeat.owned]));
    const current =
      this.#table && this.#table.partitions === spec.partitions ? this.#table.owners : new Array<string | null>(spec.partitions).fill(null);
    const owners = planPlacement({ partitions: spec.partitions, owners: current, eligible, holding });
    if (this.#table && this.#table.partitions === spec.partitions && sameOwners(owners, this.#table.owners)) return;
    await this.#writeTable(owners);
  }

  /** A pod's load report, kept for the autoscaler. */
  recordLoad(heartbeat: PodHeartbeat, receivedAt: number): void {
    this.#history.push({ podId: heartbeat.podId, at: receivedAt, load: heartbeat.load });
  }

  /** A call waits for this Agent and no pod serves it: wake it now. */
  demand(at: number): void {
    this.#demandAt = at;
    this.trigger();
  }

  /** How many pods the Agent should have now (the autoscaler); records a decision when it changes. */
  #desired(now: number): number {
    const { spec } = this;
    const { tracker, driver, tunables } = this.#deps;
    this.#history = trimLoadHistory(this.#history, now, tunables);
    const previous = this.#replicas ?? driver.pods(spec.namespace, spec.name).length;
    const readyPods = tracker
      .live(spec.namespace, spec.name, now)
      .filter((pod) => pod.heartbeat.state === 'running' && !this.#leaving.has(pod.podId))
      .map((pod) => pod.podId);
    if (this.#override !== undefined) {
      const floor = spec.scaling.minReplicas;
      const replicas = Math.min(Math.max(this.#override, floor), spec.scaling.maxReplicas);
      this.#override = undefined;
      this.#autoscaler = { ...INITIAL_AUTOSCALER_STATE, lastActiveAt: now, lowSince: now, lowPeak: replicas };
      this.#reason = `scaled to ${replicas} by request (spec.scaling.replicas); autoscaling continues from there`;
      this.#record(now, previous, replicas, this.#reason);
      this.#replicas = replicas;
      return replicas;
    }
    const decision = decideScale(
      {
        scaling: spec.scaling,
        partitions: spec.partitions,
        samples: this.#history,
        readyPods,
        previousReplicas: previous,
        demandAt: this.#demandAt,
        state: this.#autoscaler,
        now,
      },
      tunables,
    );
    this.#autoscaler = decision.state;
    this.#reason = decision.reason;
    if (decision.replicas !== previous || this.#replicas === undefined) this.#record(now, previous, decision.replicas, decision.reason);
    this.#replicas = decision.replicas;
    return decision.replicas;
  }

  #record(at: number, from: number, to: number, reason: string): void {
    this.#decisions.push({ at, from, to, reason });
    if (this.#decisions.length > MAX_DECISIONS) this.#decisions.shift();
    if (from !== to) this.#deps.log.info(`${this.spec.name}: ${from} → ${to} pods: ${reason}`);
  }

  /**
   * Scale-down: mark the least busy pods as leaving (their partitions move away
   * first); scale-up while pods are leaving: keep the most recently marked ones.
   */
  #chooseLeaving(existing: string[], desired: number, live: Map<string, TrackedPod>): void {
    const staying = existing.filter((podId) => !this.#leaving.has(podId));
    if (staying.length > desired) {
      const busy = (podId: string): number[] => {
        const load = live.get(podId)?.heartbeat.load;
        return [(load?.inflight ?? 0) + (load?.queued ?? 0), load?.activeInstances ?? 0, live.get(podId)?.heartbeat.owned.length ?? 0];
      };
      const byIdleness = [...staying].sort((a, b) => {
        const [x, y] = [busy(a), busy(b)];
        for (let i = 0; i < x.length; i += 1) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
        return (live.get(b)?.heartbeat.startedAt ?? 0) - (live.get(a)?.heartbeat.startedAt ?? 0);
      });
      for (const podId of byIdleness.slice(0, staying.length - desired)) this.#leaving.add(podId);
    } else if (staying.length < desired) {
      const reprieved = [...this.#leaving].slice(-(desired - staying.length));
      for (const podId of reprieved) this.#leaving.delete(podId);
    }
  }

  async #writeTable(owners: (string | null)[]): Promise<void> {
    const table: PlacementTable = {
      namespace: this.spec.namespace,
      agent: this.spec.name,
      epoch: (this.#table?.epoch ?? 0) + 1,
      partitions: this.spec.partitions,
      owners,
      updatedAt: this.#deps.now(),
    };
    const key = placementKey(this.spec.namespace, this.spec.name);
    try {
      this.#revision = await this.#deps.placementKv.put(key, JSON.stringify(table), { previousSeq: this.#revision });
      this.#table = table;
    } catch (error) {
      // Someone else wrote the table (another controller, or an operator): re-read it and plan again.
      const entry = await this.#deps.placementKv.get(key);
      this.#revision = entry?.revision ?? 0;
      this.#table = entry?.operation === 'PUT' ? entry.json<PlacementTable>() : undefined;
      this.#again = true;
      this.#deps.log.warn(`the placement table of ${this.spec.name} changed under the controller; planning again`, errorField(error));
    }
  }

  /** Publishes the status for the gateway and the CLI (and, on Kubernetes, the Agent's status). */
  async publishStatus(): Promise<void> {
    const status: AgentStatusRecord = { ...this.status(), updatedAt: this.#deps.now() };
    await this.#deps.registryKv.put(registryStatusKey(this.spec.namespace, this.spec.name), JSON.stringify(status));
  }

  async #publishSpec(): Promise<void> {
    const { spec } = this;
    const record: AgentSpecRecord = {
      namespace: spec.namespace,
      name: spec.name,
      partitions: spec.partitions,
      minReplicas: spec.scaling.minReplicas,
      maxReplicas: spec.scaling.maxReplicas,
      updatedAt: this.#deps.now(),
    };
    await this.#deps.registryKv.put(registrySpecKey(spec.namespace, spec.name), JSON.stringify(record));
  }

  status(): AgentStatus {
    const { spec } = this;
    const now = this.#deps.now();
    const live = new Map(this.#deps.tracker.live(spec.namespace, spec.name, now).map((pod) => [pod.podId, pod]));
    const pods: PodStatus[] = this.#deps.driver.pods(spec.namespace, spec.name).map((pod) => {
      const tracked = live.get(pod.podId);
      return {
        podId: pod.podId,
        state: tracked?.heartbeat.state ?? 'pending',
        leaving: this.#leaving.has(pod.podId) || tracked?.heartbeat.state === 'draining',
        owned: tracked?.heartbeat.owned.length ?? 0,
        load: tracked?.heartbeat.load,
        startedAt: pod.startedAt,
        restarts: pod.restarts,
        detail: pod.detail,
      };
    });
    const owners = this.#table?.owners ?? [];
    const assigned = owners.filter((owner, p) => owner !== null && (live.get(owner)?.heartbeat.owned.includes(p) ?? false)).length;
    return {
      namespace: spec.namespace,
      name: spec.name,
      origin: spec.origin,
      desiredReplicas: this.#replicas ?? 0,
      reason: this.#reason,
      readyReplicas: pods.filter((pod) => pod.state === 'running' && !pod.leaving).length,
      partitions: spec.partitions,
      partitionsAssigned: assigned,
      activeInstances: pods.reduce((sum, pod) => sum + (pod.load?.activeInstances ?? 0), 0),
      pods,
      decisions: [...this.#decisions],
    };
  }

  /** True when every partition is served by a running pod (or the Agent is meant to have none). */
  isSettled(): boolean {
    const status = this.status();
    if (this.#replicas === undefined) return false;
    if (status.desiredReplicas === 0) return status.pods.length === 0;
    return status.readyReplicas >= status.desiredReplicas && status.partitionsAssigned === status.partitions;
  }
}
