import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { NatsConnection } from '@nats-io/nats-core';
import type { ControllerMetrics } from '../metrics.ts';
import type { Buckets } from '../../agent-runtime/client/buckets.ts';
import { errorField } from '../../agent-runtime/observability/log.ts';
import type { StructuredLogger } from '../../agent-runtime/observability/log.ts';
import type { AutoscalerTunables } from '../autoscaler/tunables.ts';
import { Controller } from '../controller.ts';
import type { AgentSpec } from '../manifest/agent-spec.ts';
import { ManifestError, resolveAgent } from '../manifest/manifest.ts';
import { GROUP, PLURAL, VERSION } from './crd.ts';
import { recordEvent } from './events.ts';
import { watchResource } from './informer.ts';
import type { WatchedResource } from './informer.ts';
import { KubernetesDriver } from '../drivers/kubernetes/kube-driver.ts';
import { describe } from './api-errors.ts';
import { agentStatus, GROUP_REFUSED, invalidSpecStatus, refusedStatus, sameStatus, SETTINGS_IGNORED } from './status.ts';
import type { AgentObject, AgentStatusFields } from './status.ts';
import { UNSCHEDULABLE, unschedulable, unschedulableMessage } from './unschedulable.ts';

export interface OperatorOptions {
  kc: KubeConfig;
  nc: NatsConnection;
  buckets: Buckets;
  runtimeImage: string;
  natsUrl: string;
  /** The token NATS requires, if any: runtime pods get it through a Secret per Agent. */
  natsToken?: string | undefined;
  kvReplicas?: number;
  runtimeImagePullPolicy?: string | undefined;
  runtimeImagePullSecrets?: string[];
  /** Namespaces whose Agents this controller manages; empty for all. */
  namespaces: string[];
  log: StructuredLogger;
  autoscaler?: Partial<AutoscalerTunables>;
  /** How often status is written and events are sent, ms. */
  statusIntervalMs?: number;
  now?: () => number;
  /** Where the controllers' metrics go (GET /metrics on the health port). */
  metrics?: ControllerMetrics | undefined;
}


/**
 * The controller on Kubernetes: Agents come from the API server (an
 * informer), pods are a Deployment per Agent (the Kubernetes driver), and the
 * rest — placement, autoscaling, draining — is the same Controller that
 * `colony dev` runs, one per namespace. Writes each Agent's status and sends
 * Events for scaling decisions and failures.
 */
export class Operator {
  readonly #options: OperatorOptions;
  readonly #now: () => number;
  readonly #driver: KubernetesDriver;
  readonly #customObjects: CustomObjectsApi;
  readonly #core: CoreV1Api;
  readonly #controllers = new Map<string, Controller>();
  /** Agent objects by `namespace/name`. */
  readonly #objects = new Map<string, AgentObject>();
  readonly #specs = new Map<string, AgentSpec>();
  readonly #applying = new Map<string, Promise<void>>();
  readonly #pendingApply = new Set<string>();
  /** Last status written and last decision reported, per Agent. */
  readonly #written = new Map<string, AgentStatusFields>();
  readonly #reportedDecisions = new Map<string, number>();
  /** The last Warning Event sent per Agent and reason, while what it warns of lasts (by `reason namespace/name`). */
  readonly #warned = new Map<string, string>();
  readonly #watches: WatchedResource<AgentObject>[] = [];
  #timer: NodeJS.Timeout | undefined;
  #synced = false;

  constructor(options: OperatorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#customObjects = options.kc.makeApiClient(CustomObjectsApi);
    this.#core = options.kc.makeApiClient(CoreV1Api);
    this.#driver = new KubernetesDriver({
      kc: options.kc,
      runtimeImage: options.runtimeImage,
      natsUrl: options.natsUrl,
      natsToken: options.natsToken,
      kvReplicas: options.kvReplicas,
      imagePullPolicy: options.runtimeImagePullPolicy,
      imagePullSecrets: options.runtimeImagePullSecrets,
      namespaces: options.namespaces,
      log: options.log.child({ component: 'kubernetes-driver' }),
      events: { onPodGone: (podId, namespace, agent, reason) => this.#controllers.get(namespace)?.onPodGone(podId, namespace, agent, reason) },
      agentUid: (namespace, name) => this.#objects.get(`${namespace}/${name}`)?.metadata?.uid,
      onFailure: (spec, reason, message) => void this.#event(`${spec.namespace}/${spec.name}`, 'Warning', reason, message),
    });
  }

  /** True once the Agents have been listed. */
  get synced(): boolean {
    return this.#synced;
  }

  async start(): Promise<void> {
    await this.#driver.start();
    const handlers = {
      onUpsert: (agent: AgentObject) => this.#upsert(agent),
      onDelete: (agent: AgentObject) => this.#delete(agent),
      onSynced: () => {
        this.#synced = true;
      },
    };
    const log = this.#options.log.child({ component: 'agent-watch' });
    if (this.#options.namespaces.length === 0) {
      this.#watches.push(
        watchResource<AgentObject>(
          this.#options.kc,
          `/apis/${GROUP}/${VERSION}/${PLURAL}`,
          async () => (await this.#customObjects.listCustomObjectForAllNamespaces({ group: GROUP, version: VERSION, resourcePlural: PLURAL })) as KubernetesListObject<AgentObject>,
          handlers,
          { log },
        ),
      );
    } else {
      for (const namespace of this.#options.namespaces) {
        this.#watches.push(
          watchResource<AgentObject>(
            this.#options.kc,
            `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`,
            async () => (await this.#customObjects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL })) as KubernetesListObject<AgentObject>,
            handlers,
            { log },
          ),
        );
      }
    }
    await Promise.all(this.#watches.map((watch) => watch.start()));
    this.#timer = setInterval(() => void this.#report(), this.#options.statusIntervalMs ?? 1_000);
    this.#timer.unref();
  }

  /** Stops managing; the Agents' pods keep running. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all(this.#watches.map((watch) => watch.stop()));
    await Promise.all([...this.#controllers.values()].map((controller) => controller.stop({ stopDriver: false })));
    await this.#driver.stop();
  }

  #upsert(agent: AgentObject): void {
    const namespace = agent.metadata?.namespace ?? 'default';
    const name = agent.metadata?.name ?? '';
    const id = `${namespace}/${name}`;
    this.#objects.set(id, agent);
    try {
      this.#specs.set(id, resolveAgent(agent, id, undefined));
    } catch (error) {
      // The API server checked the schema; what it cannot check (e.g. across fields) lands here.
      this.#specs.delete(id);
      const message = error instanceof ManifestError ? error.message : describe(error);
      void this.#writeStatus(id, invalidSpecStatus(agent, message, this.#now()));
      void this.#event(id, 'Warning', 'InvalidSpec', message);
    }
    this.#scheduleApply(namespace);
  }

  #delete(agent: AgentObject): void {
    const namespace = agent.metadata?.namespace ?? 'default';
    const id = `${namespace}/${agent.metadata?.name ?? ''}`;
    this.#objects.delete(id);
    this.#specs.delete(id);
    this.#written.delete(id);
    this.#reportedDecisions.delete(id);
    for (const key of this.#warned.keys()) if (key.endsWith(` ${id}`)) this.#warned.delete(key);
    this.#scheduleApply(namespace);
  }

  /** Applies a namespace's Agents to its Controller; applies of one namespace never overlap. */
  #scheduleApply(namespace: string): void {
    if (this.#applying.has(namespace)) {
      this.#pendingApply.add(namespace);
      return;
    }
    const run = (async () => {
      do {
        this.#pendingApply.delete(namespace);
        const specs = [...this.#specs.values()].filter((spec) => spec.namespace === namespace);
        try {
          const controller = await this.#controller(namespace);
          await controller.apply(specs);
        } catch (error) {
          this.#options.log.error(`applying the Agents of namespace ${namespace} failed; retrying on the next change`, errorField(error));
        }
      } while (this.#pendingApply.has(namespace));
    })().finally(() => this.#applying.delete(namespace));
    this.#applying.set(namespace, run);
  }

  async #controller(namespace: string): Promise<Controller> {
    let controller = this.#controllers.get(namespace);
    if (controller) return controller;
    controller = new Controller({
      nc: this.#options.nc,
      buckets: this.#options.buckets,
      namespace,
      log: this.#options.log.child({ namespace }),
      now: this.#now,
      autoscaler: this.#options.autoscaler,
      metrics: this.#options.metrics,
    });
    controller.attach(this.#driver);
    await controller.start();
    this.#controllers.set(namespace, controller);
    return controller;
  }

  /**
   * Writes changed statuses, sends an Event per new scaling decision, and a
   * Warning (once per message) when pods cannot be scheduled, when a member
   * of a placement group has settings ignored, or is not run at all.
   */
  async #report(): Promise<void> {
    for (const [id, spec] of this.#specs) {
      const agent = this.#objects.get(id);
      const controller = this.#controllers.get(spec.namespace);
      if (!agent || !controller) continue;
      const status = controller.agentStatus(spec.name);
      if (!status) {
        // Not run: a member of a placement group the controller refused (or not applied yet).
        const refused = controller.problems().find((problem) => problem.fatal && problem.agent === spec.name);
        if (!refused) continue;
        await this.#writeStatus(id, refusedStatus(agent, spec, refused.message, this.#written.get(id), this.#now()));
        await this.#warnOnce(id, GROUP_REFUSED, refused.message);
        continue;
      }
      const previous = this.#written.get(id);
      const next = agentStatus(agent, spec, status, previous, this.#now());
      await this.#writeStatus(id, next);
      const reported = this.#reportedDecisions.get(id) ?? 0;
      for (const decision of status.decisions.filter((d) => d.at > reported)) {
        if (decision.from !== decision.to) {
          await this.#event(id, 'Normal', decision.to > decision.from ? 'ScaledUp' : 'ScaledDown', `${decision.from} → ${decision.to} pods: ${decision.reason}`);
        }
        this.#reportedDecisions.set(id, decision.at);
      }
      const stuck = unschedulable(status.pods);
      await this.#warnOnce(id, UNSCHEDULABLE, stuck && unschedulableMessage(stuck));
      await this.#warnOnce(id, SETTINGS_IGNORED, status.warning);
    }
  }

  /** A Warning Event when something starts (`message` defined) or its words change; nothing while it stays the same. */
  async #warnOnce(id: string, reason: string, message: string | undefined): Promise<void> {
    const key = `${reason} ${id}`;
    if (message === this.#warned.get(key)) return;
    if (message === undefined) {
      this.#warned.delete(key);
      return;
    }
    this.#warned.set(key, message);
    await this.#event(id, 'Warning', reason, message);
  }

  async #writeStatus(id: string, status: AgentStatusFields): Promise<void> {
    const previous = this.#written.get(id);
    if (previous && sameStatus(previous, status)) return;
    const [namespace, name] = id.split('/') as [string, string];
    try {
      await this.#customObjects.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { status } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      this.#written.set(id, status);
    } catch (error) {
      this.#options.log.warn(`writing the status of agent ${id} failed`, errorField(error));
    }
  }

  async #event(id: string, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const agent = this.#objects.get(id);
    if (!agent?.metadata?.name) return;
    const namespace = agent.metadata.namespace ?? 'default';
    try {
      await recordEvent(this.#core, {
        involvedObject: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Agent', name: agent.metadata.name, namespace, uid: agent.metadata.uid },
        type,
        reason,
        message,
        now: new Date(this.#now()),
      });
    } catch (error) {
      this.#options.log.debug(`recording event ${reason} on ${id} failed`, errorField(error));
    }
  }
}

export type { KubernetesObject };
