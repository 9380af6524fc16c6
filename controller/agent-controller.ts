import type { KV } from '@nats-io/kv';
import { errorField } from '../agent-runtime/protocol/log.ts';
import type { StructuredLogger } from '../agent-runtime/protocol/log.ts';
import type { LoadReport, PlacementTable, PodState } from '../agent-runtime/protocol/placement.ts';
import type { AgentSpecRecord } from '../agent-runtime/protocol/registry.ts';
import { placementKey, registrySpecKey } from '../agent-runtime/protocol/subjects.ts';
import type { PodDriver } from './drivers/driver.ts';
import { planPlacement, sameOwners } from './placement/plan.ts';
import type { PodTracker } from './pods/pod-tracker.ts';
import type { AgentSpec } from './spec/agent-spec.ts';

export interface AgentControllerDeps {
  driver: PodDriver;
  tracker: PodTracker;
  placementKv: KV;
  registryKv: KV;
  log: StructuredLogger;
  now: () => number;
}

export interface PodStatus {
  podId: string;
  state: PodState | 'pending';
  owned: number;
  load: LoadReport | undefined;
  startedAt: number | undefined;
  restarts: number;
  detail: Record<string, unknown>;
}

export interface AgentStatus {
  namespace: string;
  name: string;
  origin: string;
  desiredReplicas: number;
  readyReplicas: number;
  partitions: number;
  partitionsAssigned: number;
  activeInstances: number;
  pods: PodStatus[];
}

/** How many pods an Agent should have. (The autoscaler replaces this for `mode: auto` with load.) */
export function desiredReplicas(spec: AgentSpec): number {
  if (spec.scaling.mode === 'manual') return spec.scaling.replicas ?? spec.scaling.minReplicas;
  return Math.max(spec.scaling.minReplicas, 0);
}

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
    await driver.scale(spec, desiredReplicas(spec));
    const live = tracker.live(spec.namespace, spec.name, now());
    const eligible = live.filter((pod) => pod.heartbeat.state === 'running').map((pod) => pod.podId);
    const holding = new Map(live.map((pod) => [pod.podId, pod.heartbeat.owned]));
    const current =
      this.#table && this.#table.partitions === spec.partitions ? this.#table.owners : new Array<string | null>(spec.partitions).fill(null);
    const owners = planPlacement({ partitions: spec.partitions, owners: current, eligible, holding });
    if (this.#table && this.#table.partitions === spec.partitions && sameOwners(owners, this.#table.owners)) return;
    await this.#writeTable(owners);
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
      desiredReplicas: desiredReplicas(spec),
      readyReplicas: pods.filter((pod) => pod.state === 'running').length,
      partitions: spec.partitions,
      partitionsAssigned: assigned,
      activeInstances: pods.reduce((sum, pod) => sum + (pod.load?.activeInstances ?? 0), 0),
      pods,
    };
  }

  /** True when every partition is served by a running pod (or the Agent is meant to have none). */
  isSettled(): boolean {
    const status = this.status();
    if (status.desiredReplicas === 0) return status.pods.length === 0;
    return status.readyReplicas >= status.desiredReplicas && status.partitionsAssigned === status.partitions;
  }
}
