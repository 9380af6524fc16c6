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
import type { ControllerMetrics } from './metrics.ts';
import type { AgentSpec } from './manifest/agent-spec.ts';
import type { PlacementUnit } from './placement/groups.ts';
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
  /** Where scaling decisions and partition moves are counted (Prometheus). */
  metrics?: ControllerMetrics | undefined;
  /** The wake index: when an instance of a scaled-to-zero Agent is due, the Agent is woken. */
  wakes?: { earliest(agent: string, now: number): number | undefined } | undefined;
}

/** Most recent scaling decisions kept per Agent, for status. */
export const MAX_DECISIONS = 20;

/**
 * Reconciles one placement unit — an Agent, or a placement group of several
 * (placement/groups.ts): the driver runs the right number of pods, and the
 * placement table moves partitions to live pods, two-phase. A group's table
 * is written under its name (its pods follow it) and under each member's (its
 * callers follow those); its status is published for each member. What to do is
 * decided by pure functions (reconcile/decide.ts, placement/plan.ts); this
 * class feeds them and carries out their result (driver calls, table writes,
 * status). Reconciles of one Agent never overlap; triggers that arrive
 * meanwhile coalesce into one more run.
 */
export class AgentController {
  /** The unit's pod settings, with its name (the lead member's spec, for a group). */
  spec: AgentSpec;
  #unit: PlacementUnit;
  readonly #deps: AgentControllerDeps;
  #table: PlacementTable | undefined;
  #revision = 0;
  #running: Promise<void> | undefined;
  #again = false;
  #removed = false;
  /** The reconciler's memory: leaving pods, a requested count, the autoscaler's state, the last replicas. */
  #state: ReconcileState = INITIAL_RECONCILE_STATE;
  #reason = 'starting';
  /** Each member's event lag (EventLagWatch); their sum counts as load. */
  readonly #eventLags = new Map<string, number>();
  /** Why a member is not run as its manifest says (placement/groups.ts), by member. */
  #warnings = new Map<string, string>();
  #history: LoadSample[] = [];
  #demandAt: number | undefined;
  readonly #decisions: ScalingDecisionRecord[] = [];

  constructor(unit: PlacementUnit, deps: AgentControllerDeps) {
    this.spec = unit.spec;
    this.#unit = unit;
    this.#deps = deps;
  }

  /** The Agents this unit's pods host. */
  get members(): readonly AgentSpec[] {
    return this.#unit.members;
  }

  get group(): string | undefined {
    return this.#unit.group;
  }

  /** What to show in a member's status about settings of it that are ignored (or nothing). */
  setWarnings(warnings: ReadonlyMap<string, string>): void {
    this.#warnings = new Map(warnings);
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

  async update(unit: PlacementUnit): Promise<void> {
    const spec = unit.spec;
    const override = requestedReplicas(this.spec.scaling, spec.scaling);
    if (override !== undefined) this.#state = { ...this.#state, override };
    this.spec = spec;
    this.#unit = unit;
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
    for (const member of this.members) {
      await this.#deps.registryKv.delete(registrySpecKey(member.namespace, member.name)).catch(() => undefined);
      await this.#deps.registryKv.delete(registryStatusKey(member.namespace, member.name)).catch(() => undefined);
    }
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
        wakeAt: this.#earliestWake(at),
        eventLag: this.#eventLag(),
        state: this.#state,
      },
      at,
      tunables,
    );
    this.#state = decision.state;
    this.#reason = decision.reason;
    if (decision.record) this.#record(decision.record);
    await driver.scale(this.#unit, decision.driverReplicas, decision.removable);

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
    this.#deps.metrics?.decision(this.spec.namespace, this.spec.name, decision);
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
      const before = this.#table?.partitions === table.partitions ? this.#table.owners : [];
      this.#deps.metrics?.moved(this.spec.namespace, this.spec.name, owners.filter((owner, p) => (before[p] ?? null) !== owner).length);
      this.#table = table;
      // Callers of a group's Agents follow each member's table (client/placement-view.ts): the same owners, under its name.
      for (const member of this.members) {
        if (member.name === this.spec.name) continue;
        const copy: PlacementTable = { ...table, agent: member.name };
        await this.#deps.placementKv.put(placementKey(member.namespace, member.name), JSON.stringify(copy));
      }
    } catch (error) {
      // Someone else wrote the table (another controller, or an operator): re-read it and plan again.
      const entry = await this.#deps.placementKv.get(key);
      this.#revision = entry?.revision ?? 0;
      this.#table = entry?.operation === 'PUT' ? entry.json<PlacementTable>() : undefined;
      this.#again = true;
      this.#deps.log.warn(`the placement table of ${this.spec.name} changed under the controller; planning again`, errorField(error));
    }
  }

  /** Publishes each member's status for the gateway and the CLI (and, on Kubernetes, the Agent's status). */
  async publishStatus(): Promise<void> {
    const updatedAt = this.#deps.now();
    for (const status of this.memberStatuses()) {
      const record: AgentStatusRecord = { ...status, updatedAt };
      await this.#deps.registryKv.put(registryStatusKey(status.namespace, status.name), JSON.stringify(record));
    }
  }

  async #publishSpec(): Promise<void> {
    const { spec } = this;
    for (const member of this.members) {
      const record: AgentSpecRecord = {
        namespace: member.namespace,
        name: member.name,
        // A member is placed as its group: the group's partitions.
        partitions: spec.partitions,
        ...(this.group ? { group: this.group } : {}),
        ...(member.placement.keyDelimiter ? { keyDelimiter: member.placement.keyDelimiter } : {}),
        minReplicas: spec.scaling.minReplicas,
        maxReplicas: spec.scaling.maxReplicas,
        updatedAt: this.#deps.now(),
      };
      await this.#deps.registryKv.put(registrySpecKey(member.namespace, member.name), JSON.stringify(record));
    }
  }

  /** Events of a member's subscriptions not handled yet (EventLagWatch): shown in its status; a lag keeps the unit awake. */
  setEventLag(member: string, lag: number): void {
    this.#eventLags.set(member, lag);
  }

  #eventLag(): number | undefined {
    if (this.#eventLags.size === 0) return undefined;
    let sum = 0;
    for (const member of this.members) sum += this.#eventLags.get(member.name) ?? 0;
    return sum;
  }

  /** When the first instance of any member is due (the wake index). */
  #earliestWake(at: number): number | undefined {
    let earliest: number | undefined;
    for (const member of this.members) {
      const due = this.#deps.wakes?.earliest(member.name, at);
      if (due !== undefined && (earliest === undefined || due < earliest)) earliest = due;
    }
    return earliest;
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
    const eventLag = this.#eventLag();
    return eventLag === undefined ? status : { ...status, eventLag };
  }

  /**
   * The status of each Agent the unit hosts: the unit's (its pods, partitions,
   * scaling), under the member's name and origin, with its group, its own
   * event lag and what of its settings is ignored.
   */
  memberStatuses(): AgentStatus[] {
    const status = this.status();
    if (!this.group) return [status];
    return this.members.map((member) => {
      const { eventLag: _unitLag, ...rest } = status;
      const lag = this.#eventLags.get(member.name);
      const warning = this.#warnings.get(member.name);
      return {
        ...rest,
        name: member.name,
        origin: member.origin,
        group: this.group,
        ...(lag === undefined ? {} : { eventLag: lag }),
        ...(warning === undefined ? {} : { warning }),
      };
    });
  }

  /** True when every partition is served by a running pod (or the Agent is meant to have none). */
  isSettled(): boolean {
    return isSettled(this.status(), this.#state.replicas !== undefined);
  }
}
