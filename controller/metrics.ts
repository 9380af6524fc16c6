import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { ScalingDecisionRecord } from '../agent-runtime/protocol/registry.ts';
import type { AgentStatus } from './reconcile/describe.ts';

/** Why a scaling decision was taken, as a label: a few fixed words for the reasons the reconciler gives. Pure. */
export function decisionReason(decision: Pick<ScalingDecisionRecord, 'from' | 'to' | 'reason'>): string {
  if (/by request/.test(decision.reason)) return 'requested';
  if (decision.to === 0) return 'scale_to_zero';
  if (/minReplicas is/.test(decision.reason)) return 'min_replicas';
  if (/maxReplicas/.test(decision.reason)) return 'max_replicas';
  if (decision.from === 0) return 'woken';
  return 'load';
}

/**
 * The controller's Prometheus metrics, by namespace and placement unit (an
 * Agent, or a placement group, whose members share its pods): desired and
 * ready pods, partitions served, scaling decisions by direction and reason,
 * and partition moves. Gauges are read from the units' statuses at each scrape.
 */
export class ControllerMetrics {
  readonly #decisions: Counter<'namespace' | 'agent' | 'direction' | 'reason'>;
  readonly #moves: Counter<'namespace' | 'agent'>;
  readonly #sources = new Set<() => { namespace: string; statuses: AgentStatus[] }>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.#decisions = new Counter({
      name: 'colony_controller_scaling_decisions_total',
      help: 'Changes of the pod count the controller decided, by namespace, agent (or placement group), direction (up or down) and reason (load, min_replicas, max_replicas, requested, woken, scale_to_zero).',
      labelNames: ['namespace', 'agent', 'direction', 'reason'],
      registers,
    });
    this.#moves = new Counter({
      name: 'colony_controller_partition_moves_total',
      help: 'Partitions given to another pod (or taken from one) in the placement table, by namespace and agent (or placement group).',
      labelNames: ['namespace', 'agent'],
      registers,
    });
    const sources = this.#sources;
    const gauge = (name: string, help: string, pick: (s: AgentStatus) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['namespace', 'agent'],
        registers,
        collect() {
          this.reset();
          for (const source of sources) {
            const { namespace, statuses } = source();
            for (const status of statuses) this.set({ namespace, agent: status.name }, pick(status));
          }
        },
      });
    };
    gauge('colony_controller_desired_pods', 'Pods the controller wants, by namespace and agent (or placement group).', (s) => s.desiredReplicas);
    gauge('colony_controller_ready_pods', 'Pods running and not leaving, by namespace and agent (or placement group).', (s) => s.readyReplicas);
    gauge('colony_controller_partitions_served', 'Partitions served by the pod the placement table gives them to, by namespace and agent (or placement group).', (s) => s.partitionsServed);
    gauge('colony_controller_partitions', 'Partitions, by namespace and agent (or placement group).', (s) => s.partitions);
  }

  /** Reads the statuses of one namespace's units at each scrape; returns what stops that. */
  watch(source: () => { namespace: string; statuses: AgentStatus[] }): () => void {
    this.#sources.add(source);
    return () => this.#sources.delete(source);
  }

  decision(namespace: string, agent: string, decision: ScalingDecisionRecord): void {
    if (decision.from === decision.to) return;
    this.#decisions.inc({ namespace, agent, direction: decision.to > decision.from ? 'up' : 'down', reason: decisionReason(decision) });
  }

  moved(namespace: string, agent: string, partitions: number): void {
    if (partitions > 0) this.#moves.inc({ namespace, agent }, partitions);
  }
}
