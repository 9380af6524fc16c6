import type { KV } from '@nats-io/kv';
import { errorField } from '../agent-runtime/observability/log.ts';
import type { StructuredLogger } from '../agent-runtime/observability/log.ts';
import type { PlacementTable, PodHeartbeat } from '../agent-runtime/protocol/placement.ts';
import type { AgentSpecRecord, AgentStatusRecord, ScalingDecisionRecord } from '../agent-runtime/protocol/registry.ts';
import { placementKey, registrySpecKey, registryStatusKey } from '../agent-runtime/protocol/subjects.ts';
import { trimLoadHistory } from './autoscaler/load-window.ts';
import type { LoadSample } from './autoscaler/load-window.ts';
import type { AutoscalerTunables } from './autoscaler/tunables.ts';
import type { PodDriver } from './drivers/driver.ts';
import type { AgentSpec } from './manifest/agent-spec.ts';
import { planPlacement, sameOwners } from './placement/plan.ts';
import type { PodTracker } from './pods/pod-tracker.ts';
import { decideReconcile, INITIAL_RECONCILE_STATE, requestedReplicas } from './reconcile/decide.ts';
import type { ReconcileState } from './reconcile/decide.ts';
import { describeAgent, isSettled } from './reconcile/describe.ts';
import type { AgentStatus } from './reconcile/describe.ts';

export interface AgentControllerDeps {
  driver: PodDriver;
  tunables: Readonly<AutoscalerTunables>;
  tracker: PodTracker;
  placementKv: KV;
  registryKv: KV;
  log: StructuredLogger;
  now: () => number;
  /** The wake index: when an instance of a scaled-to-zero Agent is due, the Agent is woken. */
  wakes?: { earliest(agent: string, now: number): number | undefined } | undefined;
}

/** Most recent scaling decisions kept per Agent, for status. */
export const MAX_DECISIONS = 20;

/**
 * Reconciles one Agent: the driver runs the right number of pods, and the
 * placement table moves partitions to live pods, two-phase. What to do is
 * decided by pure functions (reconcile/decide.ts, placement/plan.ts); this
 * class feeds them and carries out their result (driver calls, table writes,
 * status). Reconciles of one Agent never overlap; triggers that arrive
 * meanwhile coalesce into one more run.
 */
export class AgentController {
  spec: AgentSpec;
  readonly #deps: AgentControllerDeps;
  #table: PlacementTable | undefined;
  #revision = 0;
  #running: Promise<void> | undefined;
  #again = false;
  #removed = false;
  /** The reconciler's memory: leaving pods, a requested count, the autoscaler's state, the last replicas. */
  #state: ReconcileState = INITIAL_RECONCILE_STATE;
  #reason = 'starting';
  #eventLag: number | undefined;
  #history: LoadSample[] = [];
  #demandAt: number | undefined;
  readonly #decisions: ScalingDecisionRecord[] = [];

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
    const override = requestedReplicas(this.spec.scaling, spec.scaling);
    if (override !== undefined) this.#state = { ...this.#state, override };
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
    const { driver, tracker, tunables, now } = this.#deps;
    const at = now();
    this.#history = trimLoadHistory(this.#history, at, tunables);
    const live = tracker.live(spec.namespace, spec.name, at).map((pod) => pod.heartbeat);
    const decision = decideReconcile(
      {
        scaling: spec.scaling,
        partitions: spec.partitions,
        pods: driver.pods(spec.namespace, spec.name).map((pod) => pod.podId),
        live,
        silent: tracker.silent(spec.namespace, spec.name, at).map((pod) => pod.podId),
        samples: this.#history,
        demandAt: this.#demandAt,
        wakeAt: this.#deps.wakes?.earliest(spec.name, at),
        eventLag: this.#eventLag,
        state: this.#state,
      },
      at,
      tunables,
    );
    this.#state = decision.state;
    this.#reason = decision.reason;
    if (decision.record) this.#record(decision.record);
    await driver.scale(spec, decision.driverReplicas, decision.removable);

    const served = new Map(live.map((heartbeat) => [heartbeat.podId, heartbeat.served]));
    const current =
      this.#table && this.#table.partitions === spec.partitions ? this.#table.owners : new Array<string | null>(spec.partitions).fill(null);
    const owners = planPlacement({ partitions: spec.partitions, owners: current, eligible: decision.eligible, served });
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

  #record(decision: ScalingDecisionRecord): void {
    this.#decisions.push(decision);
    if (this.#decisions.length > MAX_DECISIONS) this.#decisions.shift();
    if (decision.from !== decision.to) this.#deps.log.info(`${this.spec.name}: ${decision.from} → ${decision.to} pods: ${decision.reason}`);
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

  /** Events of its subscriptions not handled yet (EventLagWatch): shown in its status; a lag keeps it awake. */
  setEventLag(lag: number): void {
    this.#eventLag = lag;
  }

  status(): AgentStatus {
    const { spec } = this;
    const { driver, tracker } = this.#deps;
    const now = this.#deps.now();
    const status = describeAgent({
      spec,
      pods: driver.pods(spec.namespace, spec.name),
      live: tracker.live(spec.namespace, spec.name, now).map((pod) => pod.heartbeat),
      silent: tracker.silent(spec.namespace, spec.name, now).map((pod) => ({ podId: pod.podId, lastSeenAt: pod.lastSeenAt })),
      exits: driver.exits(spec.namespace, spec.name),
      now,
      leaving: this.#state.leaving,
      replicas: this.#state.replicas,
      reason: this.#reason,
      owners: this.#table?.owners ?? [],
      decisions: this.#decisions,
    });
    return this.#eventLag === undefined ? status : { ...status, eventLag: this.#eventLag };
  }

  /** True when every partition is served by a running pod (or the Agent is meant to have none). */
  isSettled(): boolean {
    return isSettled(this.status(), this.#state.replicas !== undefined);
  }
}
