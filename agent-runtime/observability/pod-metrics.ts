import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Metric } from 'prom-client';

/** Turn duration buckets, seconds: an in-memory turn to the default call timeout. Turns are timed in whole ms (the pod's clock): one under 1 ms counts as 0. */
export const TURN_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
/** State write buckets, seconds: a KV put on a local server (a few hundred µs) to a slow cluster. */
export const WRITE_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] as const;
/** State size buckets, bytes: 64 B to 1 MiB (the default max_payload). */
export const SIZE_BUCKETS_BYTES = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576] as const;

/** What a turn ran as, in a label: the method, or one of these for everything else (a bounded set). */
const KINDS = new Set(['onActivate', 'onDeactivate', 'update', 'reminder', 'other']);

/** How a pod's Agent reports its turns, activations and state writes (one per HostedAgent). */
export interface AgentMetrics {
  /** A turn ended: `label` is its method (or hook, `reminder <name>`, a workflow verb), `outcome` `ok` or an error code. */
  turn(label: string, outcome: string, latencyMs: number): void;
  activated(): void;
  stateWritten(seconds: number, bytes: number): void;
}

/** A histogram series kept in plain numbers: an observation is a bucket search and three additions. */
class Buckets {
  readonly bounds: readonly number[];
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Array<number>(bounds.length).fill(0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count += 1;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i += 1) {
      if (value <= (bounds[i] as number)) {
        this.counts[i] = (this.counts[i] as number) + 1;
        return;
      }
    }
  }
}

type Labels = Record<string, string>;
type Sample = { value: number; labels: Labels; metricName?: string };

/**
 * A counter or histogram whose series the pod keeps itself (plain numbers,
 * made once per label set) and which prom-client only reads at a scrape: a
 * prom-client child hashes its labels on every increment, several hundred
 * ns, which a 3 µs turn should not pay.
 */
function scraped(registry: Registry, name: string, help: string, type: 'counter' | 'histogram', samples: () => Sample[]): void {
  const metric = { name, help, type, aggregator: 'sum', collect: () => undefined, get: () => Promise.resolve({ name, help, type, aggregator: 'sum', values: samples() }), reset: () => undefined };
  registry.registerMetric(metric as unknown as Metric);
}

function histogramSamples(name: string, series: Iterable<[Labels, Buckets]>): Sample[] {
  const out: Sample[] = [];
  for (const [labels, buckets] of series) {
    let cumulative = 0;
    for (const [i, bound] of buckets.bounds.entries()) {
      cumulative += buckets.counts[i] as number;
      out.push({ metricName: `${name}_bucket`, labels: { le: String(bound), ...labels }, value: cumulative });
    }
    out.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...labels }, value: buckets.count });
    out.push({ metricName: `${name}_sum`, labels, value: buckets.sum });
    out.push({ metricName: `${name}_count`, labels, value: buckets.count });
  }
  return out;
}

/** The numbers one label set of a turn keeps. */
interface TurnSeries {
  labels: Labels;
  count: number;
}

/**
 * The Prometheus metrics of one runtime pod (GET /metrics on its health
 * port): turns by agent, method and outcome, turn duration, mailbox depth,
 * in-flight turns, active instances, activations, state writes (latency and
 * size), reminders fired and failed, and calls to other instances, in-process
 * or over NATS. Label values are bounded: methods come from the Agent's
 * definition, and every other kind of turn has one of a few fixed names.
 */
export class PodMetrics {
  readonly registry = new Registry();
  readonly #turns: TurnSeries[] = [];
  readonly #turnSeconds: [Labels, Buckets][] = [];
  readonly #perAgent: { agent: string; activations: { count: number }; writeSeconds: Buckets; writeBytes: Buckets; reminders: Map<string, { count: number }> }[] = [];
  /** Calls by target: in-process and over NATS (no string built per call). */
  readonly #calls = new Map<string, { inProcess: number; nats: number }>();
  readonly #stats = new Map<string, () => { activeInstances: number; inflight: number; queued: number }>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const registry = this.registry;
    scraped(registry, 'colony_turns_total', 'Turns that ended, by agent, method (or hook, reminder, workflow verb) and outcome (ok or the error code).', 'counter', () =>
      this.#turns.map((t) => ({ labels: t.labels, value: t.count })),
    );
    scraped(registry, 'colony_turn_duration_seconds', 'Time from the start of a turn to its end (its commit included), by agent and method; timed in whole ms.', 'histogram', () =>
      histogramSamples('colony_turn_duration_seconds', this.#turnSeconds),
    );
    scraped(registry, 'colony_activations_total', 'Instances activated (loaded into memory), by agent.', 'counter', () =>
      this.#perAgent.map((a) => ({ labels: { agent: a.agent }, value: a.activations.count })),
    );
    scraped(registry, 'colony_state_write_duration_seconds', 'Time to write an instance record to JetStream KV, by agent.', 'histogram', () =>
      histogramSamples('colony_state_write_duration_seconds', this.#perAgent.map((a) => [{ agent: a.agent }, a.writeSeconds])),
    );
    scraped(registry, 'colony_state_write_bytes', 'Size of each instance record written (state, kept replies, reminders), by agent.', 'histogram', () =>
      histogramSamples('colony_state_write_bytes', this.#perAgent.map((a) => [{ agent: a.agent }, a.writeBytes])),
    );
    scraped(registry, 'colony_reminders_fired_total', 'Reminder fires, by agent and outcome (ok, or the error code of a fire that failed and will be retried).', 'counter', () =>
      this.#perAgent.flatMap((a) => [...a.reminders].map(([outcome, c]) => ({ labels: { agent: a.agent, outcome }, value: c.count }))),
    );
    scraped(registry, 'colony_calls_total', 'Calls agents made to other instances, by target agent and route: in_process (a partition of this pod) or nats.', 'counter', () =>
      [...this.#calls].flatMap(([target, c]) => [
        ...(c.inProcess > 0 ? [{ labels: { target, route: 'in_process' }, value: c.inProcess }] : []),
        ...(c.nats > 0 ? [{ labels: { target, route: 'nats' }, value: c.nats }] : []),
      ]),
    );
    const stats = this.#stats;
    const gauge = (name: string, help: string, pick: (s: { activeInstances: number; inflight: number; queued: number }) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['agent'],
        registers: [registry],
        collect() {
          for (const [agent, read] of stats) this.set({ agent }, pick(read()));
        },
      });
    };
    gauge('colony_active_instances', 'Instances in memory, by agent.', (s) => s.activeInstances);
    gauge('colony_turns_in_flight', 'Turns running now, by agent.', (s) => s.inflight);
    gauge('colony_mailbox_depth', 'Calls and wake-ups queued behind running turns, by agent.', (s) => s.queued);
  }

  /** The metrics of Agent `agent`, whose methods are `methods`; `stats` is read at each scrape. */
  forAgent(agent: string, methods: ReadonlySet<string>, stats: () => { activeInstances: number; inflight: number; queued: number }): AgentMetrics {
    this.#stats.set(agent, stats);
    const own = { agent, activations: { count: 0 }, writeSeconds: new Buckets(WRITE_BUCKETS_SECONDS), writeBytes: new Buckets(SIZE_BUCKETS_BYTES), reminders: new Map<string, { count: number }>() };
    this.#perAgent.push(own);
    /** By turn label, then outcome: the series, and the label's duration buckets. */
    const series = new Map<string, { seconds: Buckets; byOutcome: Map<string, TurnSeries> }>();
    const methodOf = (label: string): string => {
      if (methods.has(label) || KINDS.has(label)) return label;
      return label.startsWith('reminder ') ? 'reminder' : 'other';
    };
    /** One Buckets per method label, shared by the turn labels that map to it (every reminder's). */
    const secondsByMethod = new Map<string, Buckets>();
    return {
      turn: (label, outcome, latencyMs) => {
        let byLabel = series.get(label);
        if (!byLabel) {
          const method = methodOf(label);
          let seconds = secondsByMethod.get(method);
          if (!seconds) {
            seconds = new Buckets(TURN_BUCKETS_SECONDS);
            secondsByMethod.set(method, seconds);
            this.#turnSeconds.push([{ agent, method }, seconds]);
          }
          byLabel = { seconds, byOutcome: new Map() };
          series.set(label, byLabel);
        }
        let s = byLabel.byOutcome.get(outcome);
        if (!s) {
          const method = methodOf(label);
          s = this.#turns.find((t) => t.labels.agent === agent && t.labels.method === method && t.labels.outcome === outcome);
          if (!s) {
            s = { labels: { agent, method, outcome }, count: 0 };
            this.#turns.push(s);
          }
          byLabel.byOutcome.set(outcome, s);
        }
        s.count += 1;
        byLabel.seconds.observe(latencyMs / 1_000);
        if (label.startsWith('reminder ')) {
          let fired = own.reminders.get(outcome);
          if (!fired) {
            fired = { count: 0 };
            own.reminders.set(outcome, fired);
          }
          fired.count += 1;
        }
      },
      activated: () => {
        own.activations.count += 1;
      },
      stateWritten: (seconds, bytes) => {
        own.writeSeconds.observe(seconds);
        own.writeBytes.observe(bytes);
      },
    };
  }

  /** A call an agent made to an instance of `target` (a known Agent), in-process or over NATS. */
  call(target: string, inProcess: boolean): void {
    let counts = this.#calls.get(target);
    if (!counts) {
      counts = { inProcess: 0, nats: 0 };
      this.#calls.set(target, counts);
    }
    if (inProcess) counts.inProcess += 1;
    else counts.nats += 1;
  }

  /** The text exposition for GET /metrics. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
