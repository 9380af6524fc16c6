import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { Catalog, turnLimitsFor } from '../activation/catalog.ts';
import type { CatalogStats } from '../activation/catalog.ts';
import type { IncomingCall } from '../activation/mailbox.ts';
import { loadAgent, apiRecordOf } from '../activation/loaded-agent.ts';
import type { LoadedAgent } from '../activation/loaded-agent.ts';
import type { Reply } from '../activation/reply.ts';
import { replyError } from '../activation/reply.ts';
import type { Buckets } from '../client/buckets.ts';
import type { ColonyClient } from '../client/client.ts';
import type { TopicStreams } from '../client/topic-streams.ts';
import type { WriteCoalescer } from '../client/write-coalescer.ts';
import { subscriptionSetFor } from '../events/subscription-set.ts';
import type { SubscriptionSet } from '../events/subscription-set.ts';
import { errorField } from '../observability/log.ts';
import type { StructuredLogger } from '../observability/log.ts';
import type { AgentMetrics, PodMetrics } from '../observability/pod-metrics.ts';
import type { Tracing } from '../observability/tracing.ts';
import type { ColonyError } from '../protocol/errors.ts';
import { STATUS_OK } from '../protocol/headers.ts';
import { registryApiKey, WAKE_BUCKET } from '../protocol/subjects.ts';
import { ReminderScheduler } from '../reminders/scheduler.ts';
import { KvWakeIndex } from '../reminders/wake-index.ts';
import { KvStateStore } from '../state/state-store.ts';
import type { StateStore } from '../state/state-store.ts';
import { movedStreamError } from '../stream/stream-ends.ts';
import type { AnyDefinition } from './agent-module.ts';
import { CallInbox } from './call-inbox.ts';
import type { HostConfig, HostedAgentConfig } from './config.ts';
import { CrashGuard } from './crash-guard.ts';
import { answerInstanceListings } from './instance-listing.ts';
import type { HostCaller } from './host-caller.ts';
import type { Watchdog } from './watchdog/watchdog.ts';
import { ActivityWorker } from '../workflow/activity-worker.ts';
import { openWorkflowDeps } from '../workflow/workflow-deps.ts';

/** Activities running at once on one pod, per Agent, at most. */
const DEFAULT_MAX_CONCURRENT_ACTIVITIES = 256;

/** What every Agent of a pod shares: the pod's connection, buckets, caller and checks. */
export interface PodShared {
  config: Readonly<HostConfig>;
  metrics: PodMetrics;
  tracing: Tracing;
  nc: NatsConnection;
  buckets: Buckets;
  client: ColonyClient;
  caller: HostCaller;
  topics: TopicStreams;
  writes: WriteCoalescer;
  watchdog: Watchdog;
  maxPayloadBytes: number;
  log: StructuredLogger;
  now: () => number;
  /** True when the pod takes calls for `partition` now (it serves it and is not re-checking what it owns). */
  serves(partition: number): boolean;
  /** Runs first for every call: may find that the pod was paused (see pause-guard.ts). */
  checkPaused(): void;
}

/**
 * One Agent hosted by a pod — the pod's only one, or one member of its
 * placement group. Everything here is the Agent's own: its instances
 * (catalog), where its calls arrive (inbox), its reminders, its event pumps,
 * its activities. What the pod's Agents share (placement, heartbeats, the
 * watchdog, the connection) is Host's.
 */
export class HostedAgent {
  readonly name: string;
  readonly config: Readonly<HostedAgentConfig>;
  readonly catalog: Catalog;
  readonly #agent: LoadedAgent;
  readonly #shared: PodShared;
  readonly #scheduler: ReminderScheduler;
  readonly #inbox: CallInbox;
  readonly #subscriptions: SubscriptionSet | undefined;
  readonly #activities: ActivityWorker | undefined;
  #listings: Subscription | undefined;

  private constructor(config: Readonly<HostedAgentConfig>, agent: LoadedAgent, shared: PodShared, parts: { catalog: Catalog; scheduler: ReminderScheduler; subscriptions: SubscriptionSet | undefined; activities: ActivityWorker | undefined }) {
    this.name = config.name;
    this.config = config;
    this.#agent = agent;
    this.#shared = shared;
    this.catalog = parts.catalog;
    this.#scheduler = parts.scheduler;
    this.#subscriptions = parts.subscriptions;
    this.#activities = parts.activities;
    const pod = shared.config;
    this.#inbox = new CallInbox({
      nc: shared.nc,
      namespace: pod.namespace,
      agent: config.name,
      podId: pod.podId,
      partitions: pod.partitions,
      keyDelimiter: config.keyDelimiter,
      catalog: parts.catalog,
      crashGuard: new CrashGuard({ kv: shared.buckets.running, namespace: pod.namespace, agent: config.name, podId: pod.podId, log: shared.log, now: shared.now }),
      writes: shared.writes,
      log: shared.log,
      checkPaused: () => shared.checkPaused(),
      serves: (partition) => shared.serves(partition),
      maxPayloadBytes: shared.maxPayloadBytes,
    });
  }

  /** Loads the Agent's definition and wires its parts; it takes calls once the pod subscribes its partitions. */
  static async open(config: Readonly<HostedAgentConfig>, definition: AnyDefinition, shared: PodShared): Promise<HostedAgent> {
    const pod = shared.config;
    const agent = loadAgent(config.name, definition, { subscriptions: config.subscriptions });
    const log = shared.log;
    const scheduler: ReminderScheduler = new ReminderScheduler({
      index: new KvWakeIndex(shared.buckets.wake, shared.nc, WAKE_BUCKET, pod.namespace, config.name),
      wake: (key, partition) => hosted.wake(key, partition),
      log,
      now: shared.now,
    });
    const subscriptions = subscriptionSetFor(agent.subscriptions, {
      nc: shared.nc,
      namespace: pod.namespace,
      agent: config.name,
      partitions: pod.partitions,
      topics: shared.topics,
      cursors: shared.buckets.cursors,
      caller: shared.caller,
      log,
      now: shared.now,
    });
    const limits = turnLimitsFor(shared.maxPayloadBytes);
    let stats = (): CatalogStats => ({ activeInstances: 0, inflight: 0, queued: 0 });
    const metrics = shared.metrics.forAgent(config.name, new Set(agent.methods.keys()), () => stats());
    const workflow = agent.workflow;
    const workflows = workflow
      ? await openWorkflowDeps(shared.nc, { namespace: pod.namespace, workflow: config.name, run: workflow.run, retry: workflow.retry, records: shared.buckets.workflows, caller: shared.caller, client: shared.client, journalBytes: limits.recordBytes, retentionMs: config.retentionMs, kvReplicas: pod.kvReplicas })
      : undefined;
    const catalog = new Catalog({
      podId: pod.podId,
      wake: {
        update: (key, partition, entry) => scheduler.update(key, partition, entry),
        indexedReminderAt: (key) => scheduler.indexedReminderAt(key),
      },
      agent,
      // A workflow instance's record is its summary, where the gateway reads it.
      store: measured(new KvStateStore(workflows ? shared.buckets.workflows : shared.buckets.state, pod.namespace, config.name), metrics),
      durability: config.durability,
      caller: shared.caller,
      log,
      now: shared.now,
      limits,
      watchdog: shared.watchdog.turns,
      workflows,
      events: shared.topics,
      metrics,
      tracing: shared.tracing,
    });
    stats = () => catalog.stats();
    let activities: ActivityWorker | undefined;
    if (agent.activities.size > 0) {
      activities = new ActivityWorker({
        nc: shared.nc,
        namespace: pod.namespace,
        agent: config.name,
        podId: pod.podId,
        activities: agent.activities,
        caller: shared.caller,
        log,
        replyBytes: limits.replyBytes,
        maxConcurrent: DEFAULT_MAX_CONCURRENT_ACTIVITIES,
        counters: catalog.counters,
      });
      if (workflows) workflows.localActivities = activities;
    }
    const hosted: HostedAgent = new HostedAgent(config, agent, shared, { catalog, scheduler, subscriptions, activities });
    return hosted;
  }

  /** Publishes the Agent's API (methods, activities, subscriptions) to the registry. */
  async publishApi(): Promise<void> {
    const { buckets, config, now } = this.#shared;
    await buckets.registry.put(registryApiKey(config.namespace, this.name), JSON.stringify(apiRecordOf(this.#agent, config.namespace, now())));
  }

  /** An in-process call (HostCaller) or a wake-up, for a partition the pod serves. */
  dispatch(call: IncomingCall, partition: number): Promise<Reply> {
    return this.catalog.dispatch(call, partition);
  }

  /** Starts the activity worker, and answers the gateway's listings of the instances in memory (instance-listing.ts). */
  startWork(): void {
    this.#activities?.start();
    const pod = this.#shared.config;
    this.#listings = answerInstanceListings({ nc: this.#shared.nc, namespace: pod.namespace, agent: this.name, podId: pod.podId, keys: () => this.catalog.keys(), log: this.#shared.log });
  }

  subscribe(partition: number): { unsubscribe(): void; drain(): Promise<void> } {
    return this.#inbox.subscribe(partition);
  }

  deactivatePartition(partition: number): Promise<void> {
    this.#inbox.cancelStreams(movedStreamError(this.#shared.config.podId, partition), partition);
    return this.catalog.deactivateWhere((a) => a.partition === partition);
  }

  acquired(partition: number): void {
    // Retries by itself while the partition stays here; stops when it leaves or the pod stops.
    void this.#scheduler.acquire(partition);
    this.#subscriptions?.acquired(partition);
  }

  released(partition: number): void {
    this.#scheduler.release(partition);
    void this.#subscriptions?.released(partition);
  }

  /** Wakes an instance for its due reminders and tasks (the scheduler's callback). */
  async wake(key: string, partition: number): Promise<void> {
    if (!this.#shared.serves(partition)) return;
    const reply = await this.catalog.wake(key, partition);
    if (reply.status !== STATUS_OK) throw replyError(reply);
  }

  stats(): CatalogStats {
    return this.catalog.stats();
  }

  async collectIdle(): Promise<void> {
    try {
      const collected = await this.catalog.collectIdle(this.config.idleTimeoutMs);
      if (collected > 0) this.#shared.log.debug('deactivated idle instances', { agent: this.name, count: collected });
    } catch (error) {
      this.#shared.log.error('idle collection failed', { agent: this.name, ...errorField(error) });
    }
  }

  /** Ends the streamed replies in flight with `error` (the pod drains); returns how many. */
  cancelStreams(error: ColonyError): number {
    return this.#inbox.cancelStreams(error);
  }

  /** Stops the activity worker, the event pumps and the listings (the pod drains); partitions are released by the pod. */
  async stopWork(drainTimeoutMs: number): Promise<void> {
    this.#listings?.unsubscribe();
    await Promise.all([this.#activities?.stop(drainTimeoutMs), this.#subscriptions?.stopAll()]);
  }

  stopScheduler(): void {
    this.#scheduler.stop();
  }
}

/** `store`, timing each write and weighing what it writes (the pod's metrics). */
function measured(store: StateStore, metrics: Pick<AgentMetrics, 'stateWritten'>): StateStore {
  return {
    load: (key) => store.load(key),
    save: async (key, recordJson, expectedRevision) => {
      const started = performance.now();
      const revision = await store.save(key, recordJson, expectedRevision);
      metrics.stateWritten((performance.now() - started) / 1_000, Buffer.byteLength(recordJson));
      return revision;
    },
  };
}
