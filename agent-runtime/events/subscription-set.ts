import type { Caller } from '../activation/caller.ts';
import { partitionOf } from '../protocol/partition.ts';
import { SubscriptionPump } from './pump.ts';
import type { PumpDeps } from './pump.ts';
import type { LoadedSubscription } from './subscriptions.ts';

/** The partition whose owner runs a subscription's pump: one pump per subscription, moving with the partition. */
export function pumpPartition(sub: Pick<LoadedSubscription, 'topic' | 'method'>, partitions: number): number {
  return partitionOf(`subscription:${sub.topic}:${sub.method}`, partitions);
}

/** A pod's pumps: started when it acquires a subscription's partition, stopped when it releases it. */
export class SubscriptionSet {
  readonly #subs: LoadedSubscription[];
  readonly #deps: PumpDeps;
  readonly #partitions: number;
  readonly #pumps = new Map<LoadedSubscription, SubscriptionPump>();

  constructor(subs: LoadedSubscription[], deps: PumpDeps, partitions: number) {
    this.#subs = subs;
    this.#deps = deps;
    this.#partitions = partitions;
  }

  acquired(partition: number): void {
    for (const sub of this.#subs) {
      if (pumpPartition(sub, this.#partitions) !== partition || this.#pumps.has(sub)) continue;
      const pump = new SubscriptionPump(sub, this.#deps);
      this.#pumps.set(sub, pump);
      pump.start();
    }
  }

  released(partition: number): Promise<void> {
    const stopping: Promise<void>[] = [];
    for (const [sub, pump] of this.#pumps) {
      if (pumpPartition(sub, this.#partitions) !== partition) continue;
      this.#pumps.delete(sub);
      stopping.push(pump.stop());
    }
    return Promise.all(stopping).then(() => undefined);
  }

  async stopAll(): Promise<void> {
    const pumps = [...this.#pumps.values()];
    this.#pumps.clear();
    await Promise.all(pumps.map((pump) => pump.stop()));
  }
}

/** A pod's pumps for `subscriptions` (none: no set), calling the Agent's instances through the pod's caller (in-process when local). */
export function subscriptionSetFor(
  subscriptions: LoadedSubscription[],
  deps: Omit<PumpDeps, 'call'> & { partitions: number; caller: Caller },
): SubscriptionSet | undefined {
  if (subscriptions.length === 0) return undefined;
  const { partitions, caller, ...pumpDeps } = deps;
  const call: PumpDeps['call'] = (key, method, input, callId, deadline) =>
    caller.call({ agent: deps.agent, key, method, input, deadline, callId, chain: callId, depth: 0, oneway: false, caller: '' });
  return new SubscriptionSet(subscriptions, { ...pumpDeps, call }, partitions);
}
