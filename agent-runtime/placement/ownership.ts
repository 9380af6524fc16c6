import { errorField } from '../observability/log.ts';
import type { StructuredLogger } from '../observability/log.ts';
import type { PlacementTable } from '../protocol/placement.ts';

/** What takes a partition's calls: a NATS subscription, or one per Agent of a group's pod. */
export interface PartitionSubscription {
  unsubscribe(): void;
  /** Stops new calls; resolves once those already delivered are handled. */
  drain(): Promise<void>;
}

export interface OwnershipDeps {
  podId: string;
  partitions: number;
  /** Starts taking calls for a partition. */
  subscribe(partition: number): PartitionSubscription;
  /** Deactivates (persists and drops) the instances of a partition. */
  deactivatePartition(partition: number): Promise<void>;
  /** Called after the set of served partitions changed (to heartbeat at once). */
  onChange(): void;
  /** A partition was taken (its reminders are to be scheduled). */
  acquired?(partition: number): void;
  /** A partition is no longer held (released, or dropped). */
  released?(partition: number): void;
  log: StructuredLogger;
}

/**
 * The pod's side of placement: applies each new placement table by taking the
 * partitions assigned to this pod and releasing those that are not — a
 * release stops new calls first, lets queued turns finish, persists and drops
 * the instances, and only then stops reporting the partition as served.
 */
export class PartitionOwnership {
  readonly #deps: OwnershipDeps;
  readonly #serving = new Set<number>();
  readonly #subscriptions = new Map<number, PartitionSubscription>();
  readonly #releasing = new Map<number, Promise<void>>();
  #latest: PlacementTable | undefined;
  #closed = false;
  epoch = 0;

  constructor(deps: OwnershipDeps) {
    this.#deps = deps;
  }

  /** True when calls for `partition` are accepted here right now. */
  serves(partition: number): boolean {
    return this.#serving.has(partition);
  }

  /** True while the pod hands `partition` over: no new calls, in-flight turns finishing, instances being persisted. */
  releasing(partition: number): boolean {
    return this.#releasing.has(partition);
  }

  /** Partitions this pod serves, as its heartbeat reports them: taking calls, or still releasing. */
  served(): number[] {
    const all = new Set([...this.#serving, ...this.#releasing.keys()]);
    return [...all].sort((a, b) => a - b);
  }

  apply(table: PlacementTable): void {
    if (this.#latest && table.epoch < this.#latest.epoch) return;
    this.#latest = table;
    this.epoch = table.epoch;
    if (table.partitions !== this.#deps.partitions) {
      this.#deps.log.error(
        `the placement table has ${table.partitions} partitions but this pod was started with ${this.#deps.partitions}; serving nothing until they agree`,
      );
      for (const partition of [...this.#serving]) this.#release(partition);
      return;
    }
    let changed = false;
    for (let partition = 0; partition < table.partitions; partition += 1) {
      const mine = table.owners[partition] === this.#deps.podId;
      if (mine && !this.#closed && !this.#serving.has(partition) && !this.#releasing.has(partition)) {
        if (!this.#subscriptions.has(partition)) this.#subscriptions.set(partition, this.#deps.subscribe(partition));
        this.#serving.add(partition);
        this.#deps.acquired?.(partition);
        changed = true;
      } else if (!mine && this.#serving.has(partition)) {
        this.#release(partition);
        changed = true;
      } else if (!mine && !this.#releasing.has(partition) && this.#subscriptions.has(partition)) {
        // Held but not served since dropAll: nothing to drain (its activations were dropped).
        this.#subscriptions.get(partition)?.unsubscribe();
        this.#subscriptions.delete(partition);
        changed = true;
      }
    }
    if (changed) this.#deps.onChange();
  }

  /**
   * Stops serving everything at once, without draining (the pod may have been
   * declared dead while it was paused or cut off). The subscriptions stay, so
   * calls that arrive meanwhile get a retryable refusal instead of silence;
   * `apply` of a fresh table serves again what is still this pod's and
   * unsubscribes the rest.
   */
  dropAll(): void {
    for (const partition of this.#serving) this.#deps.released?.(partition);
    this.#serving.clear();
    this.#latest = undefined;
    this.#deps.onChange();
  }

  /** Releases every partition (drain); resolves when all instances are persisted and dropped. */
  async releaseAll(): Promise<void> {
    this.#closed = true;
    for (const partition of [...this.#serving]) this.#release(partition);
    await Promise.all([...this.#releasing.values()]);
  }

  #release(partition: number): void {
    this.#serving.delete(partition);
    const subscription = this.#subscriptions.get(partition);
    this.#subscriptions.delete(partition);
    const done = (async () => {
      try {
        // Drain: calls already delivered to this client are handled; new ones see "no responders" and retry elsewhere.
        await subscription?.drain();
      } catch (error) {
        this.#deps.log.warn(`draining the subscription of partition ${partition} failed`, errorField(error));
      }
      await this.#deps.deactivatePartition(partition);
    })().finally(() => {
      this.#deps.released?.(partition);
      this.#releasing.delete(partition);
      this.#deps.onChange();
      if (this.#latest && !this.#closed) this.apply(this.#latest);
    });
    this.#releasing.set(partition, done);
  }
}
