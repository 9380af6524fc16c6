import type { NatsConnection } from '@nats-io/nats-core';
import { Catalog, DEFAULT_TURN_GRACE_MS, turnLimitsFor } from '../activation/catalog.ts';
import { loadAgent, apiRecordOf } from '../activation/loaded-agent.ts';
import type { LoadedAgent } from '../activation/loaded-agent.ts';
import { replyError } from '../activation/reply.ts';
import { openBuckets } from '../client/buckets.ts';
import { ColonyClient } from '../client/client.ts';
import { DemandPublisher } from '../client/demand.ts';
import { PlacementView } from '../client/placement-view.ts';
import { RegistryView } from '../client/registry-view.ts';
import { WriteCoalescer } from '../client/write-coalescer.ts';
import { startHealthServer } from '../observability/health-server.ts';
import type { HealthServer } from '../observability/health-server.ts';
import { errorField } from '../observability/log.ts';
import type { StructuredLogger } from '../observability/log.ts';
import { PartitionOwnership } from '../placement/ownership.ts';
import { ColonyError } from '../protocol/errors.ts';
import { STATUS_OK } from '../protocol/headers.ts';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../protocol/limits.ts';
import type { PodHeartbeat, PodState } from '../protocol/placement.ts';
import { heartbeatSubject, registryApiKey, WAKE_BUCKET } from '../protocol/subjects.ts';
import { ReminderScheduler } from '../reminders/scheduler.ts';
import { KvWakeIndex } from '../reminders/wake-index.ts';
import { subscriptionSetFor } from '../events/subscription-set.ts';
import type { SubscriptionSet } from '../events/subscription-set.ts';
import { TopicStreams } from '../client/topic-streams.ts';
import { KvStateStore } from '../state/state-store.ts';
import { drainingStreamError, movedStreamError } from '../stream/stream-ends.ts';
import type { AnyDefinition } from './agent-module.ts';
import { CallInbox } from './call-inbox.ts';
import type { HostConfig } from './config.ts';
import { CrashGuard } from './crash-guard.ts';
import { HostCaller } from './host-caller.ts';
import { LoadMeter } from './load-meter.ts';
import { PauseGuard } from './pause-guard.ts';
import { PlacementWatch, TABLE_POLL_INTERVAL_MS } from './placement-watch.ts';
import { Watchdog } from './watchdog/watchdog.ts';
import { ActivityWorker } from '../workflow/activity-worker.ts';
import { openWorkflowDeps } from '../workflow/workflow-deps.ts';

/** Activities running at once on one pod, at most. */
const DEFAULT_MAX_CONCURRENT_ACTIVITIES = 256;

/** How often the pod notes that its event loop is running (to notice when it was paused or blocked). */
const TICK_INTERVAL_MS = 100;

export interface HostDeps {
  nc: NatsConnection;
  definition: AnyDefinition;
  log: StructuredLogger;
  now?: () => number;
}

/**
 * A runtime pod: hosts the instances of one Agent for the partitions the
 * placement table gives it. Lifecycle: starting → running → draining →
 * stopped. This file wires the pod's parts and runs its lifecycle; each part
 * has its room beside it: where calls arrive (call-inbox.ts), the placement
 * table (placement-watch.ts), pauses and reconnects (pause-guard.ts), calls
 * that kill pods (crash-guard.ts), a blocked event loop (watchdog/).
 */
export class Host {
  readonly #config: Readonly<HostConfig>;
  readonly #nc: NatsConnection;
  readonly #log: StructuredLogger;
  readonly #now: () => number;
  readonly #agent: LoadedAgent;
  readonly #startedAt: number;
  readonly #writes: WriteCoalescer;
  readonly #meter = new LoadMeter();
  readonly #pause: PauseGuard;
  #state: PodState = 'starting';
  #catalog!: Catalog;
  #ownership!: PartitionOwnership;
  #registry!: RegistryView;
  #placementView!: PlacementView;
  #placement!: PlacementWatch;
  #scheduler!: ReminderScheduler;
  #health: HealthServer | undefined;
  #watchdog: Watchdog | undefined;
  #activities: ActivityWorker | undefined;
  #subscriptions: SubscriptionSet | undefined;
  #inbox: CallInbox | undefined;
  #timers: NodeJS.Timeout[] = [];
  #stopping: Promise<void> | undefined;

  private constructor(config: Readonly<HostConfig>, deps: HostDeps) {
    this.#config = config;
    this.#nc = deps.nc;
    this.#log = deps.log;
    this.#now = deps.now ?? Date.now;
    this.#agent = loadAgent(config.agent, deps.definition, { subscriptions: config.subscriptions });
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
    const client = new ColonyClient(
      this.#nc,
      {
        // This pod always knows its own partition count, even before the controller publishes it.
        partitionsOf: (agent) => (agent === config.agent ? config.partitions : this.#registry.partitionsOf(agent)),
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
    const caller = new HostCaller({
      agent: config.agent,
      client,
      // The catalog is built next; calls only happen once it exists.
      dispatch: (call, partition) => this.#catalog.dispatch(call, partition),
      serves: (partition) => this.#ownership.serves(partition),
      maxPayloadBytes,
    });
    const scheduler = new ReminderScheduler({
      index: new KvWakeIndex(buckets.wake, this.#nc, WAKE_BUCKET, config.namespace, config.agent),
      wake: (key, partition) => this.#wake(key, partition),
      log: this.#log,
      now: this.#now,
    });
    this.#scheduler = scheduler;
    this.#watchdog = Watchdog.start({
      reportAfterMs: config.stallLimitMs,
      graceMs: DEFAULT_TURN_GRACE_MS,
      fields: { pod: config.podId, agent: config.agent },
      terminationLog: config.terminationLog,
    });
    const limits = turnLimitsFor(maxPayloadBytes);
    const topics = new TopicStreams(this.#nc, config.namespace, { replicas: config.kvReplicas });
    const subscriptions = subscriptionSetFor(this.#agent.subscriptions, {
      nc: this.#nc,
      namespace: config.namespace,
      agent: config.agent,
      partitions: config.partitions,
      topics,
      cursors: buckets.cursors,
      caller,
      log: this.#log,
      now: this.#now,
    });
    this.#subscriptions = subscriptions;
    const workflow = this.#agent.workflow;
    const workflows = workflow
      ? await openWorkflowDeps(this.#nc, { namespace: config.namespace, workflow: config.agent, run: workflow.run, retry: workflow.retry, records: buckets.workflows, caller, client, journalBytes: limits.recordBytes, retentionMs: config.retentionMs, kvReplicas: config.kvReplicas })
      : undefined;
    this.#catalog = new Catalog({
      podId: config.podId,
      wake: {
        update: (key, partition, entry) => scheduler.update(key, partition, entry),
        indexedReminderAt: (key) => scheduler.indexedReminderAt(key),
      },
      agent: this.#agent,
      // A workflow instance's record is its summary, where the gateway reads it.
      store: new KvStateStore(workflows ? buckets.workflows : buckets.state, config.namespace, config.agent),
      durability: config.durability,
      caller,
      log: this.#log,
      now: this.#now,
      limits,
      watchdog: this.#watchdog.turns,
      workflows,
      events: topics,
    });
    if (this.#agent.activities.size > 0) {
      const worker = new ActivityWorker({
        nc: this.#nc,
        namespace: config.namespace,
        agent: config.agent,
        podId: config.podId,
        activities: this.#agent.activities,
        caller,
        log: this.#log,
        replyBytes: limits.replyBytes,
        maxConcurrent: DEFAULT_MAX_CONCURRENT_ACTIVITIES,
        counters: this.#catalog.counters,
      });
      this.#activities = worker;
      if (workflows) workflows.localActivities = worker;
    }
    const inbox = new CallInbox({
      nc: this.#nc,
      namespace: config.namespace,
      agent: config.agent,
      podId: config.podId,
      partitions: config.partitions,
      catalog: this.#catalog,
      crashGuard: new CrashGuard({ kv: buckets.running, namespace: config.namespace, agent: config.agent, podId: config.podId, log: this.#log, now: this.#now }),
      writes: this.#writes,
      log: this.#log,
      checkPaused: () => this.#pause.checkCall(),
      serves: (partition) => !this.#pause.revalidating && this.#ownership.serves(partition),
      maxPayloadBytes,
    });
    this.#inbox = inbox;
    this.#ownership = new PartitionOwnership({
      podId: config.podId,
      partitions: config.partitions,
      subscribe: (partition) => inbox.subscribe(partition),
      deactivatePartition: (partition) => {
        inbox.cancelStreams(movedStreamError(config.podId, partition), partition);
        return this.#catalog.deactivateWhere((a) => a.partition === partition);
      },
      onChange: () => this.#heartbeat(),
      acquired: (partition) => {
        // Retries by itself while the partition stays here; stops when it leaves or the pod stops.
        void scheduler.acquire(partition);
        subscriptions?.acquired(partition);
      },
      released: (partition) => {
        scheduler.release(partition);
        void subscriptions?.released(partition);
      },
      log: this.#log,
    });
    this.#placement = new PlacementWatch(
      buckets.placement,
      config.namespace,
      config.agent,
      (table) => {
        if (this.#state === 'running') this.#ownership.apply(table);
      },
      this.#log,
    );

    await buckets.registry.put(registryApiKey(config.namespace, config.agent), JSON.stringify(apiRecordOf(this.#agent, config.namespace, this.#now())));
    this.#health = await startHealthServer(config.healthPort, () => this.#readiness());
    this.#state = 'running';
    this.#activities?.start();
    this.#pause.start();
    await this.#placement.start();
    this.#heartbeat();
    this.#every(config.heartbeatIntervalMs, () => this.#heartbeat());
    this.#every(TABLE_POLL_INTERVAL_MS, () => void this.#placement.read());
    this.#every(Math.max(250, Math.min(config.idleTimeoutMs / 2, 30_000)), () => void this.#collectIdle());
    this.#every(TICK_INTERVAL_MS, () => {
      this.#watchdog?.tick();
      this.#pause.tick();
    });
    this.#log.info('pod started', {
      pid: process.pid,
      agent: config.agent,
      partitions: config.partitions,
      durability: config.durability,
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
    const dropped = this.#catalog.discardAll(
      new ColonyError('unavailable', `pod ${this.#config.podId} is re-checking which partitions it owns; retry`, { retryAfterSeconds: 1 }),
    );
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

  /** Wakes an instance for its due reminders and tasks (the scheduler's callback). */
  async #wake(key: string, partition: number): Promise<void> {
    if (!this.#ownership.serves(partition) || this.#pause.revalidating) return;
    const reply = await this.#catalog.wake(key, partition);
    if (reply.status !== STATUS_OK) throw replyError(reply);
  }

  #heartbeat(): void {
    if (this.#nc.isClosed()) return;
    const heartbeat: PodHeartbeat = {
      namespace: this.#config.namespace,
      agent: this.#config.agent,
      podId: this.#config.podId,
      state: this.#state,
      served: this.#ownership.served(),
      tableEpoch: this.#ownership.epoch,
      load: this.#meter.report(this.#catalog.stats(), this.#catalog.takeTurnStats()),
      startedAt: this.#startedAt,
      sentAt: this.#now(),
    };
    try {
      this.#nc.publish(heartbeatSubject(this.#config.namespace, this.#config.agent), JSON.stringify(heartbeat));
    } catch (error) {
      this.#log.debug('heartbeat not sent', errorField(error));
    }
  }

  async #collectIdle(): Promise<void> {
    try {
      const collected = await this.#catalog.collectIdle(this.#config.idleTimeoutMs);
      if (collected > 0) this.#log.debug('deactivated idle instances', { count: collected });
    } catch (error) {
      this.#log.error('idle collection failed', errorField(error));
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
    this.#log.info('draining', { instances: this.#catalog.size });
    this.#heartbeat();
    const streams = this.#inbox?.cancelStreams(drainingStreamError(this.#config.podId));
    if (streams) this.#log.info('ended streamed replies in flight', { count: streams });
    const drained = Promise.all([this.#ownership.releaseAll(), this.#activities?.stop(drainTimeoutMs), this.#subscriptions?.stopAll()]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      drained.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.#log.error(`drain did not finish within ${drainTimeoutMs} ms; stopping with ${this.#catalog.size} instances still active`);
    }
    this.#state = 'stopped';
    this.#heartbeat();
    for (const interval of this.#timers) clearInterval(interval);
    this.#placement.stop();
    this.#registry.stop();
    this.#placementView.stop();
    this.#scheduler.stop();
    await this.#watchdog?.stop();
    await this.#health?.close();
    try {
      await this.#nc.drain();
    } catch (error) {
      this.#log.warn('closing the NATS connection failed', errorField(error));
    }
    this.#log.info('stopped', { drainMs: this.#now() - started });
  }
}
