import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

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

interface TurnSeries {
  count: Counter.Internal;
  seconds: Histogram.Internal<'agent' | 'method'>;
}

/**
 * The Prometheus metrics of one runtime pod (GET /metrics on its health
 * port): turns by agent, method and outcome, turn duration, mailbox depth,
 * active instances, activations, state writes (latency and size), reminders
 * fired and failed, and calls to other instances, in-process or over NATS.
 * Label values are bounded: methods come from the Agent's definition, and
 * every other kind of turn has one of a few fixed names. Children of a label
 * set are made once and reused, so a turn costs two map lookups and two
 * increments.
 */
export class PodMetrics {
  readonly registry = new Registry();
  readonly #turns: Counter<'agent' | 'method' | 'outcome'>;
  readonly #turnSeconds: Histogram<'agent' | 'method'>;
  readonly #activations: Counter<'agent'>;
  readonly #writeSeconds: Histogram<'agent'>;
  readonly #writeBytes: Histogram<'agent'>;
  readonly #reminders: Counter<'agent' | 'outcome'>;
  readonly #calls: Counter<'target' | 'route'>;
  readonly #callSeries = new Map<string, Counter.Internal>();
  readonly #stats = new Map<string, () => { activeInstances: number; inflight: number; queued: number }>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.#turns = new Counter({ name: 'colony_turns_total', help: 'Turns that ended, by agent, method (or hook, reminder, workflow verb) and outcome (ok or the error code).', labelNames: ['agent', 'method', 'outcome'], registers });
    this.#turnSeconds = new Histogram({ name: 'colony_turn_duration_seconds', help: 'Time from the start of a turn to its end (its commit included), by agent and method.', labelNames: ['agent', 'method'], buckets: [...TURN_BUCKETS_SECONDS], registers });
    this.#activations = new Counter({ name: 'colony_activations_total', help: 'Instances activated (loaded into memory), by agent.', labelNames: ['agent'], registers });
    this.#writeSeconds = new Histogram({ name: 'colony_state_write_duration_seconds', help: 'Time to write an instance record to JetStream KV, by agent.', labelNames: ['agent'], buckets: [...WRITE_BUCKETS_SECONDS], registers });
    this.#writeBytes = new Histogram({ name: 'colony_state_write_bytes', help: 'Size of each instance record written (state, kept replies, reminders), by agent.', labelNames: ['agent'], buckets: [...SIZE_BUCKETS_BYTES], registers });
    this.#reminders = new Counter({ name: 'colony_reminders_fired_total', help: 'Reminder fires, by agent and outcome (ok, or the error code of a fire that failed and will be retried).', labelNames: ['agent', 'outcome'], registers });
    this.#calls = new Counter({ name: 'colony_calls_total', help: 'Calls agents made to other instances, by target agent and route: in_process (a partition of this pod) or nats.', labelNames: ['target', 'route'], registers });
    const stats = this.#stats;
    const gauge = (name: string, help: string, pick: (s: { activeInstances: number; inflight: number; queued: number }) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['agent'],
        registers,
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
    const series = new Map<string, Map<string, TurnSeries>>();
    const reminders = new Map<string, Counter.Internal>();
    const activations = this.#activations.labels({ agent });
    const writeSeconds = this.#writeSeconds.labels({ agent });
    const writeBytes = this.#writeBytes.labels({ agent });
    const methodOf = (label: string): string => {
      if (methods.has(label) || KINDS.has(label)) return label;
      return label.startsWith('reminder ') ? 'reminder' : 'other';
    };
    return {
      turn: (label, outcome, latencyMs) => {
        let byOutcome = series.get(label);
        if (!byOutcome) {
          byOutcome = new Map();
          series.set(label, byOutcome);
        }
        let s = byOutcome.get(outcome);
        if (!s) {
          const method = methodOf(label);
          s = { count: this.#turns.labels({ agent, method, outcome }), seconds: this.#turnSeconds.labels({ agent, method }) };
          byOutcome.set(outcome, s);
        }
        s.count.inc();
        s.seconds.observe(latencyMs / 1_000);
        if (label.startsWith('reminder ')) {
          let fired = reminders.get(outcome);
          if (!fired) {
            fired = this.#reminders.labels({ agent, outcome });
            reminders.set(outcome, fired);
          }
          fired.inc();
        }
      },
      activated: () => activations.inc(),
      stateWritten: (seconds, bytes) => {
        writeSeconds.observe(seconds);
        writeBytes.observe(bytes);
      },
    };
  }

  /** A call an agent made to an instance of `target` (a known Agent), in-process or over NATS. */
  call(target: string, inProcess: boolean): void {
    const route = inProcess ? 'in_process' : 'nats';
    const id = `${target}\u0000${route}`;
    let counter = this.#callSeries.get(id);
    if (!counter) {
      counter = this.#calls.labels({ target, route });
      this.#callSeries.set(id, counter);
    }
    counter.inc();
  }

  /** The text exposition for GET /metrics. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
