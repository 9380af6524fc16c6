import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { isMethodName } from '../agent-runtime/protocol/limits.ts';
import type { RegistryAgent } from '../agent-runtime/client/registry-view.ts';

/** Label value for an agent or method that does not exist: bad URLs cannot create new series. */
export const UNKNOWN_LABEL = 'unknown';
/** Label value for methods past an agent's label budget (see MAX_METHOD_LABELS_PER_AGENT). */
export const OTHER_LABEL = 'other';
/**
 * While an Agent's API is not in the registry yet, method names cannot be
 * checked; each such agent gets this many distinct method labels, the rest
 * share OTHER_LABEL.
 */
export const MAX_METHOD_LABELS_PER_AGENT = 64;
/** Request duration buckets, seconds: 0.5 ms (an in-memory turn) to 30 s (the default call timeout). */
export const DURATION_BUCKETS_SECONDS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
] as const;

type Label = 'agent' | 'method' | 'status';

interface Series {
  requests: Counter.Internal;
  duration: Histogram.Internal<Label>;
}

/** Placement-wait buckets, seconds: a handoff (tens of ms) to a slow cold start. */
export const WAIT_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/**
 * The gateway's request metrics: `colony_gateway_requests_total` and
 * `colony_gateway_request_duration_seconds`, by agent, method and HTTP status.
 * Label values come only from the registry (or a bounded budget), and the
 * children of each label set are created once and reused.
 */
export class GatewayMetrics {
  readonly #requests: Counter<Label>;
  readonly #duration: Histogram<Label>;
  readonly #series = new Map<string, Map<string, Map<number, Series>>>();
  readonly #unpublishedMethods = new Map<string, Set<string>>();
  readonly #wait: Histogram<'agent'>;

  constructor(registry: Registry) {
    this.#requests = new Counter({
      name: 'colony_gateway_requests_total',
      help: 'Calls the gateway answered, by agent, method and HTTP status.',
      labelNames: ['agent', 'method', 'status'],
      registers: [registry],
    });
    this.#duration = new Histogram({
      name: 'colony_gateway_request_duration_seconds',
      help: 'Time from receiving a call to sending its response, by agent, method and HTTP status.',
      labelNames: ['agent', 'method', 'status'],
      buckets: [...DURATION_BUCKETS_SECONDS],
      registers: [registry],
    });
    this.#wait = new Histogram({
      name: 'colony_gateway_placement_wait_seconds',
      help: 'How long calls waited for a pod to serve their partition (cold start from zero, handoff, crash), by agent.',
      labelNames: ['agent'],
      buckets: [...WAIT_BUCKETS_SECONDS],
      registers: [registry],
    });
  }

  /** Records that a call to a known agent waited `seconds` for its partition to be served. */
  observeWait(agent: string, seconds: number): void {
    this.#wait.labels({ agent }).observe(seconds);
  }

  /**
   * Records one answered call. `entry` is what the registry knows about
   * `agent` (undefined for an unknown agent).
   */
  observe(entry: RegistryAgent | undefined, agent: string, method: string, status: number, seconds: number): void {
    const agentLabel = entry === undefined ? UNKNOWN_LABEL : agent;
    const methodLabel = entry === undefined ? UNKNOWN_LABEL : this.#methodLabel(entry, agent, method);
    const series = this.#seriesFor(agentLabel, methodLabel, status);
    series.requests.inc();
    series.duration.observe(seconds);
  }

  #methodLabel(entry: RegistryAgent, agent: string, method: string): string {
    if (entry.api !== undefined) return Object.hasOwn(entry.api.methods, method) ? method : UNKNOWN_LABEL;
    if (!isMethodName(method)) return UNKNOWN_LABEL;
    let seen = this.#unpublishedMethods.get(agent);
    if (seen === undefined) {
      seen = new Set();
      this.#unpublishedMethods.set(agent, seen);
    }
    if (seen.has(method)) return method;
    if (seen.size >= MAX_METHOD_LABELS_PER_AGENT) return OTHER_LABEL;
    seen.add(method);
    return method;
  }

  #seriesFor(agent: string, method: string, status: number): Series {
    let byMethod = this.#series.get(agent);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.#series.set(agent, byMethod);
    }
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) {
      byStatus = new Map();
      byMethod.set(method, byStatus);
    }
    let series = byStatus.get(status);
    if (series === undefined) {
      const labels = { agent, method, status: String(status) };
      series = { requests: this.#requests.labels(labels), duration: this.#duration.labels(labels) };
      byStatus.set(status, series);
    }
    return series;
  }
}

/**
 * `colony_agent_event_lag{agent}`: events of an Agent's subscriptions not
 * handled yet, as the controller last reported it in the Agent's status
 * (the registry the gateway already watches); read at scrape time. Agents
 * that subscribe to nothing have no series.
 */
export function registerEventLagGauge(metricsRegistry: Registry, registry: { list(): RegistryAgent[] }): void {
  new Gauge({
    name: 'colony_agent_event_lag',
    help: 'Events of the Agent\'s subscriptions not handled yet (its eventLag status)',
    labelNames: ['agent'],
    registers: [metricsRegistry],
    collect() {
      this.reset();
      for (const agent of registry.list()) {
        const lag = agent.status?.eventLag;
        if (lag !== undefined) this.set({ agent: agent.spec.name }, lag);
      }
    },
  });
}
