import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Buckets } from '../agent-runtime/client/buckets.ts';
import { errorField } from '../agent-runtime/observability/log.ts';
import type { StructuredLogger } from '../agent-runtime/observability/log.ts';
import type { DemandSignal, PodHeartbeat } from '../agent-runtime/protocol/placement.ts';
import { demandWildcard, heartbeatWildcard, parseRegistryKey } from '../agent-runtime/protocol/subjects.ts';
import { autoscalerTunables } from './autoscaler/tunables.ts';
import type { AutoscalerTunables } from './autoscaler/tunables.ts';
import { AgentController } from './agent-controller.ts';
import type { AgentStatus } from './reconcile/describe.ts';
import type { PodDriver } from './drivers/driver.ts';
import { DEFAULT_POD_TIMEOUT_MS, PodTracker } from './pods/pod-tracker.ts';
import { placementUnits } from './placement/groups.ts';
import type { GroupProblem } from './placement/groups.ts';
import { EventLagWatch } from './wake/event-lag.ts';
import type { ControllerMetrics } from './metrics.ts';
import { WakeWatch } from './wake/wake-watch.ts';
import type { AgentSpec } from './manifest/agent-spec.ts';

export interface ControllerOptions {
  nc: NatsConnection;
  buckets: Buckets;
  namespace: string;
  log: StructuredLogger;
  now?: () => number;
  podTimeoutMs?: number;
  /** How often every Agent is reconciled even without events (pod timeouts, the autoscaler), ms. */
  resyncIntervalMs?: number;
  /** Autoscaler knobs (tests shorten its windows). */
  autoscaler?: Partial<AutoscalerTunables>;
  /** Where the controller's metrics go (Prometheus); none when absent. */
  metrics?: ControllerMetrics | undefined;
}

export const DEFAULT_RESYNC_INTERVAL_MS = 1_000;

/**
 * The control plane of one namespace: one AgentController per Agent, fed by
 * pod heartbeats and driver events. The driver is attached after construction
 * because drivers report pod exits back to the controller.
 */
export class Controller {
  readonly #options: ControllerOptions;
  readonly #now: () => number;
  readonly #tracker: PodTracker;
  /** One AgentController per placement unit (an Agent, or a placement group), by the unit's name. */
  readonly #agents = new Map<string, AgentController>();
  /** The unit of each Agent, by the Agent's name. */
  #unitOf = new Map<string, AgentController>();
  #problems: GroupProblem[] = [];
  #unwatchMetrics: (() => void) | undefined;
  #driver: PodDriver | undefined;
  #subscriptions: Subscription[] = [];
  readonly #tunables: Readonly<AutoscalerTunables>;
  #timer: NodeJS.Timeout | undefined;
  readonly #wakes: WakeWatch;
  readonly #eventLag: EventLagWatch;

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#tracker = new PodTracker(options.podTimeoutMs ?? DEFAULT_POD_TIMEOUT_MS);
    this.#tunables = autoscalerTunables(options.autoscaler);
    this.#wakes = new WakeWatch(options.buckets.wake, options.namespace, options.log);
    this.#eventLag = new EventLagWatch(options.nc, options.buckets, options.namespace, options.log);
  }

  attach(driver: PodDriver): void {
    this.#driver = driver;
  }

  async start(): Promise<void> {
    const { nc, namespace } = this.#options;
    const demand = nc.subscribe(demandWildcard(namespace), {
      callback: (error, msg) => {
        if (error) return;
        try {
          const signal = msg.json<DemandSignal>();
          if (signal.namespace === namespace) this.#unitOf.get(signal.agent)?.demand(this.#now());
        } catch {
          // Not a demand signal: ignore.
        }
      },
    });
    const heartbeats = nc.subscribe(heartbeatWildcard(namespace), {
      callback: (error, msg) => {
        if (error) {
          this.#options.log.error('the heartbeat subscription failed', errorField(error));
          return;
        }
        let heartbeat: PodHeartbeat;
        try {
          heartbeat = msg.json<PodHeartbeat>();
        } catch {
          return;
        }
        this.#onHeartbeat(heartbeat);
      },
    });
    this.#subscriptions.push(demand, heartbeats);
    await this.#wakes.start();
    this.#timer = setInterval(() => this.#resync(), this.#options.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS);
    this.#timer.unref();
    this.#unwatchMetrics = this.#options.metrics?.watch(() => ({ namespace: this.#options.namespace, statuses: [...this.#agents.values()].map((c) => c.status()) }));
  }

  /**
   * Makes the set of Agents exactly `specs`: groups them into placement units
   * (placement/groups.ts) and adds, updates and removes their AgentControllers.
   */
  async apply(specs: AgentSpec[]): Promise<void> {
    const driver = this.#requireDriver();
    const { units, problems } = placementUnits(specs.filter((s) => s.namespace === this.#options.namespace));
    const said = new Set(this.#problems.map((p) => `${p.agent}: ${p.message}`));
    for (const problem of problems) {
      if (!said.has(`${problem.agent}: ${problem.message}`)) this.#options.log.warn(`agent ${problem.agent}: ${problem.message}`);
    }
    this.#problems = problems;
    const wanted = new Map(units.map((u) => [u.name, u]));
    for (const [name, controller] of this.#agents) {
      if (!wanted.has(name)) {
        this.#agents.delete(name);
        await controller.remove();
        this.#options.log.info(`agent ${name} removed`);
      }
    }
    const warnings = new Map(problems.filter((p) => !p.fatal).map((p) => [p.agent, p.message]));
    for (const [name, unit] of wanted) {
      const existing = this.#agents.get(name);
      if (existing) {
        existing.setWarnings(warnings);
        await existing.update(unit);
        continue;
      }
      const controller = new AgentController(unit, {
        driver,
        tunables: this.#tunables,
        tracker: this.#tracker,
        placementKv: this.#options.buckets.placement,
        wakes: this.#wakes,
        registryKv: this.#options.buckets.registry,
        metrics: this.#options.metrics,
        log: this.#options.log.child({ agent: name }),
        now: this.#now,
      });
      controller.setWarnings(warnings);
      await controller.start();
      this.#agents.set(name, controller);
      controller.trigger();
    }
    this.#unitOf = new Map([...this.#agents.values()].flatMap((c) => c.members.map((m) => [m.name, c] as const)));
    await this.#forgetStaleAgents(new Set(this.#unitOf.keys()));
  }

  /** Agents of the last apply that are not run as their manifests say, and why (colony dev prints them; Kubernetes shows them in the status). */
  problems(): readonly GroupProblem[] {
    return this.#problems;
  }

  /** Removes registry entries of Agents that no longer exist (a previous run had them). */
  async #forgetStaleAgents(keep: Set<string>): Promise<void> {
    const registry = this.#options.buckets.registry;
    const keys = await registry.keys(`*.${this.#options.namespace}.*`);
    const stale: string[] = [];
    for await (const key of keys) {
      const parsed = parseRegistryKey(key);
      if (parsed && !keep.has(parsed.agent)) stale.push(key);
    }
    await Promise.all(stale.map((key) => registry.delete(key)));
  }

  /** A pod ended: stop routing to it now rather than after the heartbeat timeout. */
  onPodGone(podId: string, _namespace: string, agent: string, reason: string): void {
    this.#options.log.debug(`pod ${podId} ${reason}`);
    this.#tracker.remove(podId);
    this.#agents.get(agent)?.trigger();
  }

  #onHeartbeat(heartbeat: PodHeartbeat): void {
    if (heartbeat.namespace !== this.#options.namespace) return;
    const now = this.#now();
    const changed = this.#tracker.record(heartbeat, now);
    const agent = this.#agents.get(heartbeat.agent);
    agent?.recordLoad(heartbeat, now);
    if (changed) agent?.trigger();
  }

  #resync(): void {
    this.#tracker.sweep(this.#now());
    // Events waiting for an Agent demand it, as a waiting call does: woken from zero, kept from scaling to zero.
    const members = [...this.#agents.values()].flatMap((c) => c.members.map((m) => ({ name: m.name, manifest: m.subscriptions })));
    void this.#eventLag.check(members, this.#now(), (agent, lag) => {
      const controller = this.#unitOf.get(agent);
      controller?.setEventLag(agent, lag);
      if (lag > 0) controller?.demand(this.#now());
    });
    for (const controller of this.#agents.values()) {
      controller.trigger();
      controller.publishStatus().catch((error: unknown) => this.#options.log.debug('publishing status failed', errorField(error)));
    }
  }

  /** The status of every Agent, by name (a group's members each with the group's pods). */
  status(): AgentStatus[] {
    return [...this.#agents.values()].flatMap((controller) => controller.memberStatuses()).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The controller of the unit that runs Agent `name` (its own, or its placement group's). */
  agent(name: string): AgentController | undefined {
    return this.#unitOf.get(name);
  }

  /** The status of Agent `name`, as its registry record and its Kubernetes status show it. */
  agentStatus(name: string): AgentStatus | undefined {
    return this.#unitOf.get(name)?.memberStatuses().find((status) => status.name === name);
  }

  /** Resolves once every Agent has its pods running and all partitions served; rejects after `timeoutMs`. */
  async waitSettled(timeoutMs: number): Promise<void> {
    const deadline = this.#now() + timeoutMs;
    for (;;) {
      const pending = [...this.#agents.values()].filter((controller) => !controller.isSettled());
      if (pending.length === 0) return;
      if (this.#now() > deadline) {
        const detail = pending
          .map((c) => {
            const s = c.status();
            return `${s.name}: ${s.readyReplicas}/${s.desiredReplicas} pods ready, ${s.partitionsServed}/${s.partitions} partitions served`;
          })
          .join('; ');
        throw new Error(`the platform did not become ready within ${timeoutMs} ms (${detail})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Stops reconciling; with `stopDriver` (colony dev) also stops every pod. On
   * Kubernetes the pods outlive the controller, and the driver is shared by
   * the namespaces, so the operator stops it once.
   */
  async stop(options: { stopDriver?: boolean } = {}): Promise<void> {
    clearInterval(this.#timer);
    this.#unwatchMetrics?.();
    this.#wakes.stop();
    await Promise.all([...this.#agents.values()].map((controller) => controller.halt()));
    if (options.stopDriver !== false) await this.#driver?.stop();
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
  }

  #requireDriver(): PodDriver {
    if (!this.#driver) throw new Error('the controller has no driver; call attach() first');
    return this.#driver;
  }
}
