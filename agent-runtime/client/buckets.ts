import { Kvm } from '@nats-io/kv';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { DEFAULT_KV_REPLICAS } from '../protocol/shared-env.ts';
import { CURSOR_BUCKET, PLACEMENT_BUCKET, REGISTRY_BUCKET, RUNNING_BUCKET, RUNNING_MARKER_TTL_MS, STATE_BUCKET, WAKE_BUCKET, WORKFLOW_BUCKET } from '../protocol/subjects.ts';

export interface Buckets {
  state: KV;
  placement: KV;
  registry: KV;
  wake: KV;
  running: KV;
  /** Workflow instances' records (their summaries), read by the gateway. */
  workflows: KV;
  /** How far each subscription handled its topic. */
  cursors: KV;
}

export interface BucketOptions {
  /** JetStream replicas (1 for one nats-server, 3 or 5 for a cluster): COLONY_KV_REPLICAS, read by readKvReplicas. */
  replicas?: number;
}

/** Opens (creating when missing) the KV buckets Colony uses. Safe to call from every process. */
export async function openBuckets(nc: NatsConnection, options: BucketOptions = {}): Promise<Buckets> {
  const kvm = new Kvm(nc);
  const replicas = options.replicas ?? DEFAULT_KV_REPLICAS;
  const open = async (name: string, description: string, ttl?: number): Promise<KV> => {
    try {
      return await kvm.create(name, { history: 1, replicas, description, ...(ttl === undefined ? {} : { ttl }) });
    } catch (error) {
      // The bucket exists with settings changed by an operator: use it as it is.
      try {
        return await kvm.open(name);
      } catch {
        throw new Error(`could not create or open the JetStream KV bucket ${name}: ${(error as Error).message}`, { cause: error });
      }
    }
  };
  const [state, placement, registry, wake, running, workflows, cursors] = await Promise.all([
    open(STATE_BUCKET, 'Colony instance state'),
    open(PLACEMENT_BUCKET, 'Colony placement tables'),
    open(REGISTRY_BUCKET, 'Colony agents and their APIs'),
    open(WAKE_BUCKET, 'Colony instances to wake: due reminders, tasks to resume'),
    open(RUNNING_BUCKET, 'Colony calls running after a resend: a call that was running when its pods died is not sent again', RUNNING_MARKER_TTL_MS),
    open(WORKFLOW_BUCKET, 'Colony workflow instances: their records, with the summary GET /v1/workflows/… shows'),
    open(CURSOR_BUCKET, 'Colony subscriptions: how far each one handled its topic'),
  ]);
  return { state, placement, registry, wake, running, workflows, cursors };
}
