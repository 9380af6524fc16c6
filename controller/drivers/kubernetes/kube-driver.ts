import { CoreV1Api, KubernetesObjectApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { ANNOTATION, LABEL, PART_OF, RUNTIME_COMPONENT } from '../../kubernetes/labels.ts';
import { errorField } from '../../../agent-runtime/observability/log.ts';
import type { StructuredLogger } from '../../../agent-runtime/observability/log.ts';
import { MAX_RECENT_EXITS } from '../driver.ts';
import type { DriverEvents, DriverPod, PodDriver, PodExit } from '../driver.ts';
import type { AgentSpec } from '../../manifest/agent-spec.ts';
import type { PlacementUnit } from '../../placement/groups.ts';
import { describe, statusOf } from '../../kubernetes/api-errors.ts';
import { watchResource } from '../../kubernetes/informer.ts';
import type { WatchedResource } from '../../kubernetes/informer.ts';
import { buildConfigMap, buildDeployment, buildNatsSecret, configHash, sourceKey } from '../../kubernetes/resources/builders.ts';
import type { AgentOwner } from '../../kubernetes/resources/builders.ts';
import { configMapName, deploymentName, natsSecretName } from '../../kubernetes/resources/names.ts';
import { schedulerMessage } from '../../kubernetes/unschedulable.ts';

export const FIELD_MANAGER = 'colony-controller';
/** Pods chosen for removal get this deletion cost: the ReplicaSet removes them first when it shrinks. */
export const LEAVING_POD_DELETION_COST = '-1000000';
/** Applied objects are applied again at least this often, to undo drift (someone edited them). */
const REAPPLY_INTERVAL_MS = 60_000;
/** How often an Agent's source ConfigMap is checked for changes. */
const SOURCE_CHECK_INTERVAL_MS = 5_000;

export interface KubernetesDriverOptions {
  kc: KubeConfig;
  runtimeImage: string;
  natsUrl: string;
  /** The token NATS requires, copied into a Secret per unit for its pods; undefined when NATS asks for none. */
  natsToken?: string | undefined;
  kvReplicas?: number;
  imagePullPolicy?: string | undefined;
  imagePullSecrets?: string[];
  events: DriverEvents;
  log: StructuredLogger;
  /** The namespaces to watch pods in; empty for all. */
  namespaces: string[];
  /** The uid of an Agent object (the owner of what is built), if it still exists. */
  agentUid(namespace: string, name: string): string | undefined;
  /** Something failed that an operator should see on the Agent (a Warning Event). */
  onFailure?(spec: AgentSpec, reason: string, message: string): void;
  now?: () => number;
}

/**
 * Runs a placement unit's pods (an Agent's, or a placement group's, which
 * host all of its members) as a Deployment, plus a ConfigMap of its settings,
 * named after the unit and owned by its Agents. The controller's placement and autoscaler decide;
 * this driver only makes the Deployment's replica count match, and makes the
 * ReplicaSet remove the pods the controller drained (pod-deletion-cost).
 */
export class KubernetesDriver implements PodDriver {
  readonly #options: KubernetesDriverOptions;
  readonly #objects: KubernetesObjectApi;
  readonly #core: CoreV1Api;
  readonly #now: () => number;
  readonly #watches: WatchedResource<V1Pod>[] = [];
  /** What was last applied per Agent, to apply only changes. */
  readonly #applied = new Map<string, { key: string; at: number }>();
  readonly #marked = new Set<string>();
  /** Source ConfigMap versions, read at most every SOURCE_CHECK_INTERVAL_MS per Agent. */
  readonly #sources = new Map<string, { version: string | undefined; at: number }>();

  constructor(options: KubernetesDriverOptions) {
    this.#options = options;
    this.#objects = KubernetesObjectApi.makeApiClient(options.kc);
    this.#core = options.kc.makeApiClient(CoreV1Api);
    this.#now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    const labelSelector = `${LABEL.partOf}=${PART_OF},${LABEL.component}=${RUNTIME_COMPONENT}`;
    const handlers = {
      onDelete: (pod: V1Pod) => {
        const agent = pod.metadata?.labels?.[LABEL.agent];
        if (!agent || !pod.metadata?.name) return;
        this.#marked.delete(pod.metadata.name);
        this.#options.events.onPodGone(pod.metadata.name, pod.metadata.namespace ?? '', agent, 'deleted');
      },
    };
    const namespaces = this.#options.namespaces;
    if (namespaces.length === 0) {
      this.#watches.push(
        watchResource<V1Pod>(this.#options.kc, '/api/v1/pods', () => this.#core.listPodForAllNamespaces({ labelSelector }), handlers, {
          log: this.#options.log,
          labelSelector,
        }),
      );
    } else {
      for (const namespace of namespaces) {
        this.#watches.push(
          watchResource<V1Pod>(
            this.#options.kc,
            `/api/v1/namespaces/${namespace}/pods`,
            () => this.#core.listNamespacedPod({ namespace, labelSelector }),
            handlers,
            { log: this.#options.log, labelSelector },
          ),
        );
      }
    }
    await Promise.all(this.#watches.map((watch) => watch.start()));
  }

  async scale(unit: PlacementUnit, replicas: number, remove: readonly string[] = []): Promise<void> {
    const { spec } = unit;
    const owners = this.#owners(unit);
    if (!owners) return;
    for (const podId of remove) await this.#markLeaving(spec, podId);
    const configMap = buildConfigMap(unit, { owners });
    const secret = buildNatsSecret(unit, { owners, natsToken: this.#options.natsToken });
    const deployment = buildDeployment(
      unit,
      {
        owners,
        runtimeImage: this.#options.runtimeImage,
        natsUrl: this.#options.natsUrl,
        natsToken: this.#options.natsToken,
        replicas,
        kvReplicas: this.#options.kvReplicas,
        imagePullPolicy: this.#options.imagePullPolicy,
        imagePullSecrets: this.#options.imagePullSecrets,
        sourceVersion: await this.#sourceVersions(unit),
      },
      configHash(configMap, secret),
    );
    const id = `${spec.namespace}/${spec.name}`;
    const key = JSON.stringify([configMap, secret, deployment]);
    const last = this.#applied.get(id);
    if (last?.key === key && this.#now() - last.at < REAPPLY_INTERVAL_MS) return;
    try {
      await this.#apply(configMap);
      if (secret) await this.#apply(secret);
      await this.#apply(deployment);
      this.#applied.set(id, { key, at: this.#now() });
    } catch (error) {
      this.#applied.delete(id);
      const message = `applying the Deployment of ${unit.group === undefined ? 'agent' : 'placement group'} ${spec.name} failed: ${describe(error)}`;
      for (const member of unit.members) this.#options.onFailure?.(member, 'ApplyFailed', message);
      throw new Error(message, { cause: error });
    }
  }

  async remove(namespace: string, agent: string): Promise<void> {
    this.#applied.delete(`${namespace}/${agent}`);
    const owned: [string, string, string][] = [
      ['apps/v1', 'Deployment', deploymentName(agent)],
      ['v1', 'ConfigMap', configMapName(agent)],
    ];
    if (this.#options.natsToken) owned.push(['v1', 'Secret', natsSecretName(agent)]);
    for (const [apiVersion, kind, name] of owned) {
      try {
        await this.#objects.delete({ apiVersion, kind, metadata: { name, namespace } }, undefined, undefined, undefined, undefined, 'Background');
      } catch (error) {
        if (statusOf(error) !== 404) this.#options.log.warn(`deleting ${kind} ${namespace}/${name} failed`, errorField(error));
      }
    }
  }

  /**
   * The Agent's containers that ended, from each pod's last terminated state:
   * Kubernetes restarts a container in place, and keeps why the last one
   * ended (its reason, exit code, and the message the pod's watchdog left in
   * /dev/termination-log).
   */
  exits(namespace: string, agent: string): PodExit[] {
    const out: PodExit[] = [];
    for (const { name, pod } of this.#podsOf(namespace, agent)) {
      for (const status of pod.status?.containerStatuses ?? []) {
        const ended = status.lastState?.terminated;
        if (!ended) continue;
        const why = `${ended.reason ?? 'terminated'} (exit code ${ended.exitCode}${ended.signal ? `, signal ${ended.signal}` : ''})`;
        const at = ended.finishedAt ? new Date(ended.finishedAt).getTime() : 0;
        out.push({ podId: name, at, reason: ended.message ? `${why}: ${ended.message.trim()}` : why });
      }
    }
    return out.sort((a, b) => b.at - a.at).slice(0, MAX_RECENT_EXITS);
  }

  pods(namespace: string, agent: string): DriverPod[] {
    return this.#podsOf(namespace, agent).map(({ name, pod }) => ({
      podId: name,
      agent,
      namespace,
      startedAt: pod.status?.startTime ? new Date(pod.status.startTime).getTime() : Date.parse(String(pod.metadata?.creationTimestamp ?? '')) || 0,
      restarts: (pod.status?.containerStatuses ?? []).reduce((sum, status) => sum + status.restartCount, 0),
      detail: { phase: pod.status?.phase, node: pod.spec?.nodeName, terminating: pod.metadata?.deletionTimestamp !== undefined },
      stopping: pod.metadata?.deletionTimestamp !== undefined,
      unschedulable: schedulerMessage(pod),
    }));
  }

  /** Stops watching. The pods keep running: they belong to the Agents, not to this controller. */
  async stop(): Promise<void> {
    await Promise.all(this.#watches.map((watch) => watch.stop()));
  }

  /**
   * The Agent objects of the unit's members that exist, its lead first (the
   * owners of what is built); undefined while the lead's is not known.
   */
  #owners(unit: PlacementUnit): AgentOwner[] | undefined {
    const owners = unit.members.flatMap((member) => {
      const uid = this.#options.agentUid(member.namespace, member.name);
      return uid ? [{ name: member.name, uid }] : [];
    });
    return owners[0]?.name === unit.members[0]?.name ? owners : undefined;
  }

  /** The versions of the members' source ConfigMaps, as one (undefined when none has one). */
  async #sourceVersions(unit: PlacementUnit): Promise<string | undefined> {
    const versions: string[] = [];
    for (const member of unit.members) {
      const version = await this.#sourceVersion(member);
      if (version !== undefined) versions.push(version);
    }
    return versions.length > 0 ? versions.join('-') : undefined;
  }

  /**
   * The resourceVersion of the ConfigMap that holds an Agent's code: part of
   * the pods' config hash, so editing the code rolls the pods. Reports a
   * missing ConfigMap (the pods could not start) as a failure on the Agent.
   */
  async #sourceVersion(spec: AgentSpec): Promise<string | undefined> {
    if (!spec.source) return undefined;
    const id = `${spec.namespace}/${spec.name}`;
    const known = this.#sources.get(id);
    if (known && this.#now() - known.at < SOURCE_CHECK_INTERVAL_MS) return known.version;
    let version: string | undefined;
    try {
      const source = await this.#core.readNamespacedConfigMap({ name: spec.source.configMapRef.name, namespace: spec.namespace });
      version = source.metadata?.resourceVersion;
      const key = sourceKey(spec);
      if (source.data?.[key] === undefined) {
        this.#options.onFailure?.(spec, 'SourceMissing', `ConfigMap ${spec.source.configMapRef.name} has no key "${key}" with the agent's code (spec.source.configMapRef.key, spec.module)`);
      }
    } catch (error) {
      if (statusOf(error) === 404) {
        this.#options.onFailure?.(spec, 'SourceMissing', `ConfigMap ${spec.source.configMapRef.name} with the agent's code does not exist in namespace ${spec.namespace}; its pods cannot start`);
      } else {
        this.#options.log.warn(`reading the source ConfigMap of agent ${id} failed`, errorField(error));
      }
      version = known?.version;
    }
    this.#sources.set(id, { version, at: this.#now() });
    return version;
  }

  async #apply(object: KubernetesObject): Promise<void> {
    await this.#objects.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }

  /** The controller drained this pod: make it the one the ReplicaSet removes. */
  async #markLeaving(spec: AgentSpec, podId: string): Promise<void> {
    if (this.#marked.has(podId)) return;
    try {
      await this.#core.patchNamespacedPod(
        { name: podId, namespace: spec.namespace, body: { metadata: { annotations: { [ANNOTATION.podDeletionCost]: LEAVING_POD_DELETION_COST } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      this.#marked.add(podId);
    } catch (error) {
      if (statusOf(error) !== 404) this.#options.log.warn(`marking pod ${spec.namespace}/${podId} for removal failed`, errorField(error));
    }
  }

  /** The Agent's pods in the watches' caches, with their names. */
  #podsOf(namespace: string, agent: string): { name: string; pod: V1Pod }[] {
    return this.#watches.flatMap((watch) =>
      watch.cache.list(namespace).flatMap((pod) => {
        const name = pod.metadata?.name;
        return pod.metadata?.labels?.[LABEL.agent] === agent && name ? [{ name, pod }] : [];
      }),
    );
  }
}
