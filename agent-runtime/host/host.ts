import type { NatsConnection } from '@nats-io/nats-core';
import { DEFAULT_TURN_GRACE_MS } from '../activation/catalog.ts';
import type { CatalogStats } from '../activation/catalog.ts';
import { openBuckets } from '../client/buckets.ts';
import { ColonyClient } from '../client/client.ts';
import { DemandPublisher } from '../client/demand.ts';
import { PlacementView } from '../client/placement-view.ts';
import { RegistryView } from '../client/registry-view.ts';
import { TopicStreams } from '../client/topic-streams.ts';
import { WriteCoalescer } from '../client/write-coalescer.ts';
import { startHealthServer } from '../observability/health-server.ts';
import type { HealthServer } from '../observability/health-server.ts';
import { errorField } from '../observability/log.ts';
import type { StructuredLogger } from '../observability/log.ts';
import { PodMetrics } from '../observability/pod-metrics.ts';
import { NO_TRACING } from '../observability/tracing.ts';
import type { Tracing } from '../observability/tracing.ts';
import { PartitionOwnership } from '../placement/ownership.ts';
import { ColonyError } from '../protocol/errors.ts';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../protocol/limits.ts';
import type { PodHeartbeat, PodState } from '../protocol/placement.ts';
import { heartbeatSubject } from '../protocol/subjects.ts';
import { drainingStreamError } from '../stream/stream-ends.ts';
import type { AnyDefinition } from './agent-module.ts';
import type { HostConfig } from './config.ts';
import { HostCaller } from './host-caller.ts';
import { HostedAgent } from './hosted-agent.ts';
import { LoadMeter } from './load-meter.ts';
import { PauseGuard } from './pause-guard.ts';
import { PlacementWatch, TABLE_POLL_INTERVAL_MS } from './placement-watch.ts';
import { Watchdog } from './watchdog/watchdog.ts';

/** How often the pod notes that its event loop is running (to notice when it was paused or blocked). */
const TICK_INTERVAL_MS = 100;

export interface HostDeps {
  nc: NatsConnection;
  /** The definition of each Agent of `config.agents`, in the same order. */
  definitions: readonly AnyDefinition[];
  log: StructuredLogger;
  now?: () => number;
  /** Spans of turns, calls and state writes; default none. */
  tracing?: Tracing | undefined;
}

/**
 * A runtime pod: hosts the instances of its Agent — or of every Agent of its
 * placement group — for the partitions the placement table gives it.
 * Lifecycle: starting → running → draining → stopped. This file wires what
 * the pod's Agents share and runs its lifecycle; each Agent's own parts are a
 * HostedAgent (hosted-agent.ts), and each shared part has its room beside it:
 * the placement table (placement-watch.ts), pauses and reconnects
 * (pause-guard.ts), a blocked event loop (watchdog/).
 */
export class Host {
  readonly #config: Readonly<HostConfig>;
  readonly #nc: NatsConnection;
  readonly #definitions: readonly AnyDefinition[];
  readonly #tracing: Tracing;
  readonly #log: StructuredLogger;
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #writes: WriteCoalescer;
  readonly #meter = new LoadMeter();
  readonly #metrics = new PodMetrics();
  readonly #pause: PauseGuard;
  #state: PodState = 'starting';
  #agents: HostedAgent[] = [];
  #ownership!: PartitionOwnership;
  #registry!: RegistryView;
  #placementView!: PlacementView;
  #placement!: PlacementWatch;
  #health: HealthServer | undefined;
  #watchdog: Watchdog | undefined;
  #timers: NodeJS.Timeout[] = [];
  #stopping: Promise<void> | undefined;

  private constructor(config: Readonly<HostConfig>, deps: HostDeps) {
    if (deps.definitions.length !== config.agents.length) throw new Error(`a pod of ${config.agents.length} Agents was given ${deps.definitions.length} definitions`);
    this.#config = config;
    this.#nc = deps.nc;
    this.#definitions = deps.definitions;
    this.#tracing = deps.tracing ?? NO_TRACING;
    this.#log = deps.log;
    this.#now = deps.now ?? Date.now;
    this.#startedAt = this.#now();
    this.#writes = new WriteCoalescer(deps.nc);
    this.#pause = new PauseGuard({ nc: deps.nc, stallLimitMs: config.stallLimitMs, revalidate: (reason) => this.#revalidate(reason) });
  }

  static async start(config: Readonly<HostConfig>, deps: HostDeps): Promise<Host> {
    const host = new Host(config, deps);
    await host.#start();
    return host;
  }

  get state(): PodState {
    return this.#state;
  }

  get healthPort(): number | undefined {
    return this.#health?.port;
  }

  async #start(): Promise<void> {
    const config = this.#config;
    const buckets = await openBuckets(this.#nc, { replicas: config.kvReplicas });
    this.#registry = new RegistryView(buckets.registry, config.namespace);
    await this.#registry.start();
    this.#placementView = new PlacementView(buckets.placement, config.namespace);
    await this.#placementView.start();
    const demand = new DemandPublisher((subject, data) => {
      try {
        this.#nc.publish(subject, data);
      } catch (error) {
        this.#log.debug('could not publish a demand signal', errorField(error));
      }
    }, config.namespace, this.#now);
    const own = new Map(config.agents.map((a) => [a.name, a]));
    const client = new ColonyClient(
      this.#nc,
      {
        // This pod always knows its own Agents' partitions and placement keys, even before the controller publishes them.
        partitionsOf: (agent) => (own.has(agent) ? config.partitions : this.#registry.partitionsOf(agent)),
        keyDelimiterOf: (agent) => (own.has(agent) ? own.get(agent)?.keyDelimiter : this.#registry.keyDelimiterOf(agent)),
      },
      {
        namespace: config.namespace,
        now: this.#now,
        placement: this.#placementView,
        // A call (or an activity, a workflow verb) to an Agent scaled to zero wakes it, as one through the gateway does.
        onNoResponders: (agent, partition) => void demand.signal(agent, partition),
      },
    );
    const maxPayloadBytes = this.#nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD_BYTES;
    const byName = new Map<string, HostedAgent>();
    const caller = new HostCaller({
      client,
      // The Agents are opened next; calls only happen once they exist.
      local: (agent) => byName.get(agent),
      serves: (partition) => this.#ownership.serves(partition),
      releasing: (partition) => this.#ownership.releasing(partition),
      maxPayloadBytes,
      metrics: this.#metrics,
      tracing: this.#tracing,
    });
    this.#watchdog = Watchdog.start({
      reportAfterMs: config.stallLimitMs,
      graceMs: DEFAULT_TURN_GRACE_MS,
      fields: { pod: config.podId, agent: config.unit },
      terminationLog: config.terminationLog,
    });
    const shared = {
      config,
      metrics: this.#metrics,
      tracing: this.#tracing,
      nc: this.#nc,
      buckets,
      client,
      caller,
      topics: new TopicStreams(this.#nc, config.namespace, { replicas: config.kvReplicas }),
      writes: this.#writes,
      watchdog: this.#watchdog,
      maxPayloadBytes,
      log: this.#log,
      now: this.#now,
      serves: (partition: number) => !this.#pause.revalidating && this.#ownership.serves(partition),
      checkPaused: () => this.#pause.checkCall(),
    };
    for (const [i, agentConfig] of config.agents.entries()) {
      const hosted = await HostedAgent.open(agentConfig, this.#definitions[i] as AnyDefinition, shared);
      this.#agents.push(hosted);
      byName.set(hosted.name, hosted);
    }
    const agents = this.#agents;
    this.#ownership = new PartitionOwnership({
      podId: config.podId,
      partitions: config.partitions,
      subscribe: (partition) => {
        const subscriptions = agents.map((a) => a.subscribe(partition));
        return {
          unsubscribe: () => subscriptions.forEach((s) => s.unsubscribe()),
          drain: async () => void (await Promise.all(subscriptions.map((s) => s.drain()))),
        };
      },
      deactivatePartition: async (partition) => void (await Promise.all(agents.map((a) => a.deactivatePartition(partition)))),
      onChange: () => this.#heartbeat(),
      acquired: (partition) => agents.forEach((a) => a.acquired(partition)),
      released: (partition) => agents.forEach((a) => a.released(partition)),
      log: this.#log,
    });
    this.#placement = new PlacementWatch(
      buckets.placement,
      config.namespace,
      config.unit,
      (table) => {
        if (this.#state === 'running') this.#ownership.apply(table);
      },
      this.#log,
    );

    await Promise.all(agents.map((a) => a.publishApi()));
    this.#health = await startHealthServer(
      config.healthPort,
      () => this.#readiness(),
      () => this.#metrics.text(),
    );
    this.#state = 'running';
    for (const agent of agents) agent.startWork();
    this.#pause.start();
    await this.#placement.start();
    this.#heartbeat();
    this.#every(config.heartbeatIntervalMs, () => this.#heartbeat());
    this.#every(TABLE_POLL_INTERVAL_MS, () => void this.#placement.read());
    for (const agent of agents) this.#every(Math.max(250, Math.min(agent.config.idleTimeoutMs / 2, 30_000)), () => void agent.collectIdle());
    this.#every(TICK_INTERVAL_MS, () => {
      this.#watchdog?.tick();
      this.#pause.tick();
    });
    this.#log.info('pod started', {
      pid: process.pid,
      ...(config.group ? { group: config.group, agents: agents.map((a) => a.name) } : { agent: config.unit }),
      partitions: config.partitions,
      ...(config.group ? {} : { durability: config.agents[0]?.durability }),
      healthPort: this.#health.port,
    });
  }

  #every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.#timers.push(timer);
  }

  /**
   * The pod may have been declared dead while it was paused or cut off, and
   * its partitions given to others: stop serving, drop every activation
   * without writing (their state may be stale), re-read the placement table,
   * and serve again only what it says.
   */
  async #revalidate(reason: string): Promise<void> {
    this.#ownership.dropAll();
    const refusal = new ColonyError('unavailable', `pod ${this.#config.podId} is re-checking which partitions it owns; retry`, { retryAfterSeconds: 1 });
    const dropped = this.#agents.reduce((sum, agent) => sum + agent.catalog.discardAll(refusal), 0);
    this.#log.warn(`${reason}; dropped ${dropped} instances without writing and re-reading the placement table before serving again`);
    await this.#placement.read();
  }

  #readiness(): { ready: boolean; detail: Record<string, unknown> } {
    const connected = !this.#nc.isClosed() && !this.#nc.isDraining();
    return {
      ready: this.#state === 'running' && connected,
      detail: { state: this.#state, nats: connected ? 'connected' : 'disconnected', served: this.#ownership?.served().length ?? 0 },
    };
  }

  /** The pod's load: its Agents' together (a group is scaled as one). */
  #load(): PodHeartbeat['load'] {
    const stats: CatalogStats = { activeInstances: 0, inflight: 0, queued: 0 };
    const turns = { turns: 0, latenciesMs: [] as number[] };
    for (const agent of this.#agents) {
      const s = agent.stats();
      stats.activeInstances += s.activeInstances;
      stats.inflight += s.inflight;
      stats.queued += s.queued;
      const t = agent.catalog.takeTurnStats();
      turns.turns += t.turns;
      for (const latency of t.latenciesMs) turns.latenciesMs.push(latency);
    }
    return this.#meter.report(stats, turns);
  }

  #heartbeat(): void {
    if (this.#nc.isClosed()) return;
    const heartbeat: PodHeartbeat = {
      namespace: this.#config.namespace,
      agent: this.#config.unit,
      podId: this.#config.podId,
      state: this.#state,
      served: this.#ownership.served(),
      tableEpoch: this.#ownership.epoch,
      load: this.#load(),
      startedAt: this.#startedAt,
      sentAt: this.#now(),
    };
    try {
      this.#nc.publish(heartbeatSubject(this.#config.namespace, this.#config.unit), JSON.stringify(heartbeat));
    } catch (error) {
      this.#log.debug('heartbeat not sent', errorField(error));
    }
  }

  /**
   * Graceful stop (SIGTERM): stop taking calls, let queued turns finish, run
   * onDeactivate and persist every instance, report, close NATS. The drain
   * waits at most `drainTimeoutMs` (default: the pod's); a second call joins the first.
   */
  stop(options: { drainTimeoutMs?: number } = {}): Promise<void> {
    this.#stopping ??= this.#drain(options.drainTimeoutMs ?? this.#config.drainTimeoutMs);
    return this.#stopping;
  }

  async #drain(drainTimeoutMs: number): Promise<void> {
    const started = this.#now();
    this.#state = 'draining';
    this.#pause.stop();
    this.#log.info('draining', { instances: this.#agents.reduce((sum, a) => sum + a.catalog.size, 0) });
    this.#heartbeat();
    const streams = this.#agents.reduce((sum, a) => sum + a.cancelStreams(drainingStreamError(this.#config.podId)), 0);
    if (streams) this.#log.info('ended streamed replies in flight', { count: streams });
    const drained = Promise.all([this.#ownership.releaseAll(), ...this.#agents.map((a) => a.stopWork(drainTimeoutMs))]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      drained.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.#log.error(`drain did not finish within ${drainTimeoutMs} ms; stopping with ${this.#agents.reduce((sum, a) => sum + a.catalog.size, 0)} instances still active`);
    }
    this.#state = 'stopped';
    this.#heartbeat();
    for (const interval of this.#timers) clearInterval(interval);
    this.#placement.stop();
    this.#registry.stop();
    this.#placementView.stop();
    for (const agent of this.#agents) agent.stopScheduler();
    await this.#watchdog?.stop();
    await this.#health?.close();
    try {
      await this.#nc.drain();
    } catch (error) {
      this.#log.warn('closing the NATS connection failed', errorField(error));
    }
    await this.#tracing.shutdown();
    this.#log.info('stopped', { drainMs: this.#now() - started });
  }
}
