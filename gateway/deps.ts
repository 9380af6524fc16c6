import type { Tracing } from '../agent-runtime/observability/tracing.ts';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { RoKV } from '@nats-io/kv';
import type { Registry } from 'prom-client';
import type { ColonyClient } from '../agent-runtime/client/client.ts';
import type { InstanceDirectory } from '../agent-runtime/client/instance-directory.ts';
import type { RegistryView } from '../agent-runtime/client/registry-view.ts';
import type { StructuredLogger } from '../agent-runtime/observability/log.ts';
import type { ApiTokens } from './auth.ts';
import type { TopicRoutesOptions } from './routes/topics.ts';

/** What the gateway needs of ColonyClient. */
export type GatewayClient = Pick<ColonyClient, 'call' | 'callStream' | 'partitionFor'>;

/** What the gateway needs of RegistryView. */
export type GatewayRegistry = Pick<RegistryView, 'get' | 'list'>;

/** What the admin routes of instances need (client/instance-directory.ts): lists, and stored records read without waking anything. */
export type GatewayInstances = Pick<InstanceDirectory, 'active' | 'stored' | 'readStored' | 'hasOwner'>;

/** Where the workflow routes read workflow instances without waking them. */
export interface GatewayWorkflows {
  /** The bucket of workflow records, WORKFLOW_BUCKET (openBuckets' `workflows`). */
  records: RoKV;
  /** The JetStream manager of the journal stream, JOURNAL_STREAM (openJournal). */
  journal: JetStreamManager;
}

/** Everything buildGateway needs; startGateway builds these from a NATS connection. */
export interface GatewayDeps {
  client: GatewayClient;
  registry: GatewayRegistry;
  namespace: string;
  /** The NATS server's max_payload (`nc.info.max_payload`), bytes. */
  maxPayloadBytes: number;
  log: StructuredLogger;
  /** Where the gateway registers its metrics (a fresh Registry per test). */
  metricsRegistry: Registry;
  /** True while NATS is connected and the registry view is loaded; /readyz answers 503 otherwise. Default: always ready. */
  isReady?: () => boolean;
  /** Clock for call deadlines, ms since the epoch. Default Date.now. */
  now?: () => number;
  /** Monotonic clock for request durations, ms. Default performance.now. */
  monotonicNow?: () => number;
  /** New call ids when the caller gives no Idempotency-Key. Default crypto.randomUUID. */
  newCallId?: () => string;
  /** Workflow records and journals; absent, the /v1/workflows routes are not served (suites about other routes). */
  workflows?: GatewayWorkflows | undefined;
  /** Instance lists and stored records; absent, the admin routes of instances are not served (suites about other routes). */
  instances?: GatewayInstances | undefined;
  /** Topic streams for POST /v1/topics/{topic}; absent, that route is not served (suites about other routes). */
  topics?: TopicRoutesOptions['topics'] | undefined;
  /** Bearer tokens required on /v1 routes; undefined: open (health and metrics are always open). */
  apiTokens?: ApiTokens | undefined;
  /** Spans of calls (OpenTelemetry over OTLP when OTEL_* ask for it); default none. */
  tracing?: Tracing | undefined;
}
