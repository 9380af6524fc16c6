import { AppsV1Api, CoordinationV1Api, CoreV1Api, V1MicroTime } from '@kubernetes/client-node';
import type { KubeConfig, V1Lease, V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { errorField } from '../../agent-runtime/observability/log.ts';
import type { StructuredLogger } from '../../agent-runtime/observability/log.ts';
import { recordEvent } from './events.ts';
import { statusOf } from './api-errors.ts';

export const LEASE_DURATION_MS = 15_000;
export const RENEW_INTERVAL_MS = 2_000;
/** A leader that could not renew for this long stops leading (before anyone may take over). */
export const RENEW_DEADLINE_MS = 10_000;

export type LeaseStep = 'acquire' | 'renew' | 'wait';

/**
 * What to do with a Lease, a pure function of it, who I am and the time:
 * renew mine, take one that is free or expired, or wait for its holder.
 */
export function leaseStep(lease: V1Lease | undefined, me: string, now: number): LeaseStep {
  const spec = lease?.spec;
  if (!spec?.holderIdentity) return 'acquire';
  if (spec.holderIdentity === me) return 'renew';
  const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
  const durationMs = (spec.leaseDurationSeconds ?? LEASE_DURATION_MS / 1000) * 1000;
  return now > renewed + durationMs ? 'acquire' : 'wait';
}

/**
 * The Lease's metadata with `owner` among its owners: the chart's controller
 * Deployment owns the Lease, so that `helm uninstall` (which deletes the
 * Deployment) also removes it through garbage collection, even one written by
 * a controller on its way out. Pure; the metadata is not changed in place.
 */
export function ownedLeaseMetadata(metadata: V1ObjectMeta, owner: V1OwnerReference | undefined): V1ObjectMeta {
  if (!owner || metadata.ownerReferences?.some((ref) => ref.uid === owner.uid)) return metadata;
  const others = (metadata.ownerReferences ?? []).filter((ref) => !(ref.kind === owner.kind && ref.name === owner.name));
  return { ...metadata, ownerReferences: [...others, owner] };
}

/** The Deployment `name` as the owner of the Lease; undefined (and a warning) when there is none or it cannot be read. */
export async function leaseOwner(kc: KubeConfig, namespace: string, name: string | undefined, log: StructuredLogger): Promise<V1OwnerReference | undefined> {
  if (!name) return undefined;
  try {
    const deployment = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace });
    const uid = deployment.metadata?.uid;
    return uid ? { apiVersion: 'apps/v1', kind: 'Deployment', name, uid } : undefined;
  } catch (error) {
    log.warn(`could not read Deployment ${namespace}/${name}, the owner of the leader Lease (COLONY_LEASE_OWNER): the Lease will outlive an uninstall`, errorField(error));
    return undefined;
  }
}

export interface LeaderElectionOptions {
  kc: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  /** What owns the Lease (the chart's controller Deployment); none: the Lease outlives the controller. */
  owner?: V1OwnerReference | undefined;
  log: StructuredLogger;
  onStartedLeading(): void;
  /** Leadership lost (could not renew in time): stop acting at once; the process should exit. */
  onStoppedLeading(): void;
  now?: () => number;
}

/**
 * Leader election on a coordination.k8s.io Lease, as client-go does it: the
 * leader renews every 2 s; others take over only after the lease expired
 * (15 s); a leader that cannot renew for 10 s stops leading, so two
 * controllers never act at once. Updates use the Lease's resourceVersion, so
 * two candidates cannot both win a takeover.
 */
export class LeaderElector {
  readonly #options: LeaderElectionOptions;
  readonly #api: CoordinationV1Api;
  readonly #core: CoreV1Api;
  readonly #now: () => number;
  #leading = false;
  #lastRenew = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: LeaderElectionOptions) {
    this.#options = options;
    this.#api = options.kc.makeApiClient(CoordinationV1Api);
    this.#core = options.kc.makeApiClient(CoreV1Api);
    this.#now = options.now ?? Date.now;
  }

  get leading(): boolean {
    return this.#leading;
  }

  start(): void {
    void this.#tick();
  }

  /** Gives the lease up (clean shutdown), so a standby takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (!this.#leading) return;
    this.#leading = false;
    try {
      const lease = await this.#read();
      if (lease?.spec?.holderIdentity === this.#options.identity) {
        lease.spec.holderIdentity = undefined;
        lease.spec.renewTime = undefined;
        const released = await this.#api.replaceNamespacedLease({ name: this.#options.name, namespace: this.#options.namespace, body: lease });
        await this.#event(released, `${this.#options.identity} stopped leading (released the lease)`);
      }
    } catch (error) {
      this.#options.log.warn('releasing the leader lease failed', errorField(error));
    }
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#attempt();
    } catch (error) {
      this.#options.log.warn('leader election: the Lease could not be read or written', errorField(error));
    }
    if (this.#leading && this.#now() - this.#lastRenew > RENEW_DEADLINE_MS) {
      this.#leading = false;
      this.#options.log.error(`leader election: could not renew the lease for ${RENEW_DEADLINE_MS} ms; no longer leading`);
      this.#options.onStoppedLeading();
      return;
    }
    this.#timer = setTimeout(() => void this.#tick(), RENEW_INTERVAL_MS);
  }

  async #read(): Promise<V1Lease | undefined> {
    try {
      return await this.#api.readNamespacedLease({ name: this.#options.name, namespace: this.#options.namespace });
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async #attempt(): Promise<void> {
    const { name, namespace, identity } = this.#options;
    const lease = await this.#read();
    const now = this.#now();
    const step = leaseStep(lease, identity, now);
    if (step === 'wait') return;
    // MicroTime: RFC 3339 with microseconds, as the API server requires for Lease times.
    const time = new V1MicroTime(now);
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: LEASE_DURATION_MS / 1000,
      renewTime: time,
      acquireTime: step === 'acquire' ? time : lease?.spec?.acquireTime,
      leaseTransitions: (lease?.spec?.leaseTransitions ?? 0) + (step === 'acquire' && lease ? 1 : 0),
    };
    let written: V1Lease;
    try {
      const { owner } = this.#options;
      written = lease
        ? await this.#api.replaceNamespacedLease({ name, namespace, body: { ...lease, metadata: ownedLeaseMetadata(lease.metadata ?? {}, owner), spec } })
        : await this.#api.createNamespacedLease({ namespace, body: { metadata: ownedLeaseMetadata({ name, namespace }, owner), spec } });
    } catch (error) {
      // 409: another candidate wrote the Lease first; we try again next tick.
      if (statusOf(error) === 409) return;
      throw error;
    }
    this.#lastRenew = now;
    if (!this.#leading) {
      this.#leading = true;
      this.#options.log.info(`leader election: ${identity} is now leading`);
      this.#options.onStartedLeading();
      await this.#event(written, `${identity} became leader`);
    }
  }

  /**
   * A LeaderElection Event on the Lease, as client-go records one, so that
   * `kubectl get events -n <namespace>` shows which controller led when.
   * Best effort: leading does not depend on it.
   */
  async #event(lease: V1Lease, message: string): Promise<void> {
    const { name, namespace } = this.#options;
    try {
      await recordEvent(this.#core, {
        involvedObject: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name, namespace, uid: lease.metadata?.uid },
        type: 'Normal',
        reason: 'LeaderElection',
        message,
        now: new Date(this.#now()),
      });
    } catch (error) {
      this.#options.log.warn(`recording the leader election event "${message}" failed`, errorField(error));
    }
  }
}
