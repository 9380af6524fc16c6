import type { KV } from '@nats-io/kv';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { randomUUID } from 'node:crypto';
import { WAKE_METHOD } from '../activation/activation.ts';
import { Catalog } from '../activation/catalog.ts';
import { ReminderScheduler } from '../reminders/scheduler.ts';
import { KvWakeIndex } from '../reminders/wake-index.ts';
import { loadAgent, apiRecordOf } from '../activation/loaded-agent.ts';
import type { LoadedAgent } from '../activation/loaded-agent.ts';
import { errorReply } from '../activation/reply.ts';
import type { Reply } from '../activation/reply.ts';
import { openBuckets } from '../client/buckets.ts';
import { ColonyClient } from '../client/client.ts';
import { watchKv } from '../client/kv-watch.ts';
import { PlacementView } from '../client/placement-view.ts';
import { RegistryView } from '../client/registry-view.ts';
import { WriteCoalescer } from '../client/write-coalescer.ts';
import { startHealthServer } from '../observability/health-server.ts';
import type { HealthServer } from '../observability/health-server.ts';
import { PartitionOwnership } from '../placement/ownership.ts';
import { decodeJson } from '../protocol/codec.ts';
import { errorReplyHeaders, readCallHeaders } from '../protocol/envelope.ts';
import { ColonyError } from '../protocol/errors.ts';
import { STATUS_OK } from '../protocol/headers.ts';
import { errorField } from '../observability/log.ts';
import type { StructuredLogger } from '../observability/log.ts';
import { partitionOf } from '../protocol/partition.ts';
import type { PlacementTable, PodHeartbeat, PodState } from '../protocol/placement.ts';
import { heartbeatSubject, placementKey, registryApiKey, requestSubject } from '../protocol/subjects.ts';
import { KvStateStore } from '../state/state-store.ts';
import type { AnyDefinition } from './agent-module.ts';
import type { HostConfig } from './config.ts';
import { HostCaller } from './host-caller.ts';
import { LoadMeter } from './load-meter.ts';
import { toColonyError } from '../activation/reply.ts';

const EMPTY = new Uint8Array(0);
/** How often the pod re-reads its placement table besides watching it (a safety net for lost watch updates). */
const TABLE_POLL_INTERVAL_MS = 2_000;
/** How often the pod notes that its event loop is running (to notice when it was paused). */
const TICK_INTERVAL_MS = 100;
/** Deadline of waking an instance for its reminders (each fire is its own turn within it). */
const WAKE_TIMEOUT_MS = 60_000;

export interface HostDeps {
  nc: NatsConnection;
  definition: AnyDefinition;
  log: StructuredLogger;
  now?: () => number;
}

/**
 * A runtime pod: hosts the instances of one Agent for the partitions the
 * placement table gives it. Lifecycle: starting → running → draining → stopped.
 */
export class Host {
  readonly #config: Readonly<HostConfig>;
  readonly #nc: NatsConnection;
  readonly #log: StructuredLogger;
  readonly #now: () => number;
  readonly #agent: LoadedAgent;
  readonly #startedAt: number;
  #state: PodState = 'starting';
  #catalog!: Catalog;
  #ownership!: PartitionOwnership;
  #registry!: RegistryView;
  #placementView!: PlacementView;
  #scheduler!: ReminderScheduler;
  #placementKv!: KV;
  #health: HealthServer | undefined;
  #meter = new LoadMeter();
  readonly #writes: WriteCoalescer;
  #timers: NodeJS.Timeout[] = [];
  #stopping: Promise<void> | undefined;
  /** Last time the event loop ran a timer; a call that finds this old means the pod was paused. */
  #lastTick = Date.now();
  /** Set while the pod re-checks what it owns after a pause or a reconnect: it serves nothing meanwhile. */
  #revalidating: Promise<void> | undefined;

  private constructor(config: Readonly<HostConfig>, deps: HostDeps) {
    this.#config = config;
    this.#nc = deps.nc;
    this.#log = deps.log;
    this.#now = deps.now ?? Date.now;
    this.#agent = loadAgent(config.agent, deps.definition);
    this.#startedAt = this.#now();
    this.#writes = new WriteCoalescer(deps.nc);
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
    this.#placementKv = buckets.placement;
    this.#registry = new RegistryView(buckets.registry, config.namespace);
    await this.#registry.start();
    this.#placementView = new PlacementView(buckets.placement, config.namespace);
    await this.#placementView.start();
    const client = new ColonyClient(
      this.#nc,
      {
        // This pod always knows its own partition count, even before the controller publishes it.
        partitionsOf: (agent) => (agent === config.agent ? config.partitions : this.#registry.partitionsOf(agent)),
      },
      { namespace: config.namespace, now: this.#now, placement: this.#placementView },
    );
    const caller = new HostCaller({
      agent: config.agent,
      client,
      // The catalog is built next; calls only happen once it exists.
      dispatch: (call, partition) => this.#catalog.dispatch(call, partition),
      serves: (partition) => this.#ownership.serves(partition),
    });
    this.#scheduler = new ReminderScheduler({
      index: new KvWakeIndex(buckets.wake, config.namespace, config.agent),
      wake: (key, partition) => this.#wake(key, partition),
      log: this.#log,
      now: this.#now,
    });
    const scheduler = this.#scheduler;
    this.#catalog = new Catalog({
      podId: config.podId,
      wake: {
        update: (key, partition, entry) => scheduler.update(key, partition, entry),
        indexedReminderAt: (key) => scheduler.indexedReminderAt(key),
      },
      agent: this.#agent,
      store: new KvStateStore(buckets.state, config.namespace, config.agent),
      durability: config.durability,
      caller,
      log: this.#log,
      now: this.#now,
    });
    this.#ownership = new PartitionOwnership({
      podId: config.podId,
      partitions: config.partitions,
      subscribe: (partition) => this.#subscribe(partition),
      deactivatePartition: (partition) => this.#catalog.deactivateWhere((a) => a.partition === partition),
      onChange: () => this.#heartbeat(),
      acquired: (partition) => {
        // Retries by itself while the partition stays here; stops when it leaves or the pod stops.
        void this.#scheduler.acquire(partition);
      },
      released: (partition) => this.#scheduler.release(partition),
      log: this.#log,
    });

    await buckets.registry.put(
      registryApiKey(config.namespace, config.agent),
      JSON.stringify(apiRecordOf(this.#agent, config.namespace, this.#now())),
    );
    this.#health = await startHealthServer(config.healthPort, () => this.#readiness());
    this.#state = 'running';
    await this.#watchPlacement();
    this.#heartbeat();
    this.#every(config.heartbeatIntervalMs, () => this.#heartbeat());
    this.#every(TABLE_POLL_INTERVAL_MS, () => void this.#readTable());
    this.#every(Math.max(250, Math.min(config.idleTimeoutMs / 2, 30_000)), () => void this.#collectIdle());
    this.#every(TICK_INTERVAL_MS, () => this.#tick());
    void this.#watchConnection();
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

  #tick(): void {
    const now = Date.now();
    const gap = now - this.#lastTick;
    this.#lastTick = now;
    if (gap > this.#config.stallLimitMs) this.#revalidate(`the pod's event loop did not run for ${gap} ms`);
  }

  /** After a reconnect the pod may have missed table updates, and may have been declared dead. */
  async #watchConnection(): Promise<void> {
    for await (const status of this.#nc.status()) {
      if (status.type === 'reconnect') this.#revalidate('the NATS connection was re-established');
    }
  }

  /**
   * The pod may have been declared dead while it was paused or cut off, and
   * its partitions given to others: stop serving, drop every activation
   * without writing (their state may be stale), re-read the placement table,
   * and serve again only what it says.
   */
  #revalidate(reason: string): void {
    if (this.#revalidating || this.#state !== 'running') return;
    this.#ownership.dropAll();
    const dropped = this.#catalog.discardAll(
      new ColonyError('unavailable', `pod ${this.#config.podId} is re-checking which partitions it owns; retry`, { retryAfterSeconds: 1 }),
    );
    this.#log.warn(`${reason}; dropped ${dropped} instances without writing and re-reading the placement table before serving again`);
    this.#revalidating = this.#readTable().finally(() => {
      this.#revalidating = undefined;
      this.#lastTick = Date.now();
    });
  }

  #readiness(): { ready: boolean; detail: Record<string, unknown> } {
    const connected = !this.#nc.isClosed() && !this.#nc.isDraining();
    return {
      ready: this.#state === 'running' && connected,
      detail: { state: this.#state, nats: connected ? 'connected' : 'disconnected', served: this.#ownership?.served().length ?? 0 },
    };
  }

  async #watchPlacement(): Promise<void> {
    const key = placementKey(this.#config.namespace, this.#config.agent);
    const watch = watchKv(
      this.#placementKv,
      key,
      (entry) => {
        if (entry.operation === 'PUT') this.#applyTable(entry.json<PlacementTable>());
      },
      (error) => this.#log.warn('the placement watch ended; restarting it', errorField(error)),
    );
    await watch.ready;
    this.#stopWatch = () => watch.stop();
    await this.#readTable();
  }

  #stopWatch: () => void = () => undefined;

  async #readTable(): Promise<void> {
    try {
      const entry = await this.#placementKv.get(placementKey(this.#config.namespace, this.#config.agent));
      if (entry?.operation === 'PUT') this.#applyTable(entry.json<PlacementTable>());
    } catch (error) {
      if (this.#state === 'running') this.#log.warn('reading the placement table failed', errorField(error));
    }
  }

  #applyTable(table: PlacementTable): void {
    if (this.#state !== 'running') return;
    this.#ownership.apply(table);
  }

  #subscribe(partition: number): Subscription {
    const subject = requestSubject(this.#config.namespace, this.#config.agent, partition);
    return this.#nc.subscribe(subject, { callback: (error, msg) => (error ? this.#subscriptionError(error) : this.#onCall(partition, msg)) });
  }

  #subscriptionError(error: Error): void {
    this.#log.error('a partition subscription failed', errorField(error));
  }

  #onCall(partition: number, msg: Msg): void {
    let call;
    try {
      const meta = readCallHeaders(msg);
      // Checked before anything runs: calls queued in the socket while the pod was paused must not run here
      // when the pod may have been declared dead meanwhile.
      if (Date.now() - this.#lastTick > this.#config.stallLimitMs) this.#revalidate('a call arrived after the pod was paused');
      if (this.#revalidating || !this.#ownership.serves(partition)) {
        throw new ColonyError('unavailable', `pod ${this.#config.podId} is handing partition ${partition} over; retry`, {
          retryAfterSeconds: 1,
        });
      }
      const expected = partitionOf(meta.key, this.#config.partitions);
      if (expected !== partition) {
        throw new ColonyError(
          'failed_precondition',
          `key ${JSON.stringify(meta.key)} belongs to partition ${expected} of ${this.#config.partitions}, but was sent to partition ${partition}; the caller and the pod disagree on the partition count of agent ${this.#config.agent}`,
        );
      }
      call = { meta, input: decodeJson(msg.data, `the input of ${this.#config.agent}.${meta.method}`) };
    } catch (error) {
      respond(msg, errorReply(toColonyError(error, 'reading the call')));
      return;
    }
    const reply = this.#catalog.dispatch(call, partition);
    if (call.meta.oneway) {
      respond(msg, { status: STATUS_OK });
      void reply.then((r) => {
        if (r.status !== STATUS_OK) this.#log.warn('a one-way call failed', { key: call.meta.key, method: call.meta.method, status: r.status, body: r.body });
      });
      return;
    }
    void reply.then((r) => {
      this.#writes.hold();
      respond(msg, r);
    });
  }

  /** Wakes an instance for its due reminders and tasks (the scheduler's callback). */
  async #wake(key: string, partition: number): Promise<void> {
    if (!this.#ownership.serves(partition) || this.#revalidating) return;
    const now = this.#now();
    const reply = await this.#catalog.dispatch(
      {
        meta: { key, method: WAKE_METHOD, deadline: now + WAKE_TIMEOUT_MS, callId: '', chain: `wake:${randomUUID()}`, depth: 0 },
        input: undefined,
      },
      partition,
    );
    if (reply.status !== STATUS_OK) throw ColonyError.fromBody(reply.body === undefined ? undefined : JSON.parse(reply.body));
  }

  #heartbeat(): void {
    if (this.#nc.isClosed()) return;
    const stats = this.#catalog.stats();
    const turns = this.#catalog.takeTurnStats();
    const heartbeat: PodHeartbeat = {
      namespace: this.#config.namespace,
      agent: this.#config.agent,
      podId: this.#config.podId,
      state: this.#state,
      served: this.#ownership.served(),
      tableEpoch: this.#ownership.epoch,
      load: this.#meter.report(stats, turns),
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
   * onDeactivate and persist every instance, report, close NATS.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#drain();
    return this.#stopping;
  }

  async #drain(): Promise<void> {
    const started = this.#now();
    this.#state = 'draining';
    this.#log.info('draining', { instances: this.#catalog.size });
    this.#heartbeat();
    const drained = this.#ownership.releaseAll();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      drained.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.#config.drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.#log.error(`drain did not finish within ${this.#config.drainTimeoutMs} ms; stopping with ${this.#catalog.size} instances still active`);
    }
    this.#state = 'stopped';
    this.#heartbeat();
    for (const timer of this.#timers) clearInterval(timer);
    this.#stopWatch();
    this.#registry.stop();
    this.#placementView.stop();
    this.#scheduler.stop();
    await this.#health?.close();
    try {
      await this.#nc.drain();
    } catch (error) {
      this.#log.warn('closing the NATS connection failed', errorField(error));
    }
    this.#log.info('stopped', { drainMs: this.#now() - started });
  }
}

function respond(msg: Msg, reply: Reply): void {
  // Buffer.from: the same UTF-8 bytes as TextEncoder, from the pooled allocator; they only live until the publish.
  const data = reply.body === undefined ? EMPTY : Buffer.from(reply.body, 'utf8');
  try {
    // A success carries no headers (see readReply); an error names its code in Colony-Status.
    msg.respond(data, reply.status === STATUS_OK ? undefined : { headers: errorReplyHeaders(reply.status) });
  } catch {
    // The connection is closing; the caller retries or times out.
  }
}
