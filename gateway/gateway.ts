import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { NatsConnection, Status } from '@nats-io/nats-core';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { openBuckets } from '../agent-runtime/client/buckets.ts';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../agent-runtime/protocol/limits.ts';
import { ColonyClient } from '../agent-runtime/client/client.ts';
import { TopicStreams } from '../agent-runtime/client/topic-streams.ts';
import { InstanceDirectory } from '../agent-runtime/client/instance-directory.ts';
import { openJournal } from '../agent-runtime/client/journal.ts';
import { PlacementView } from '../agent-runtime/client/placement-view.ts';
import { RegistryView } from '../agent-runtime/client/registry-view.ts';
import { errorField } from '../agent-runtime/observability/log.ts';
import type { StructuredLogger } from '../agent-runtime/observability/log.ts';
import { buildGateway } from './app.ts';
import { NO_TRACING } from '../agent-runtime/observability/tracing.ts';
import type { Tracing } from '../agent-runtime/observability/tracing.ts';
import type { ApiTokens } from './auth.ts';
import { DemandPublisher } from '../agent-runtime/client/demand.ts';

/** How often idle keep-alive connections are closed while the gateway shuts down. */
export const IDLE_SWEEP_INTERVAL_MS = 50;

export interface StartGatewayOptions {
  /** A connected NATS connection; the caller owns it (the gateway never closes it). */
  nc: NatsConnection;
  namespace: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  log: StructuredLogger;
  /** Where to register metrics; default a new Registry with Node's default process metrics. */
  metricsRegistry?: Registry;
  /** JetStream replicas for the KV buckets and the journal stream this gateway creates (default 1). */
  kvReplicas?: number;
  /** Bearer tokens required on /v1 routes; undefined: open. */
  apiTokens?: ApiTokens | undefined;
  /** Spans of calls (startTracing at the process's entry); default none. */
  tracing?: Tracing | undefined;
}

export interface RunningGateway {
  /** Base URL to reach the gateway, e.g. http://127.0.0.1:8080. */
  url: string;
  port: number;
  app: FastifyInstance;
  /** Stops accepting requests, finishes those in flight, stops watching the registry. Idempotent. */
  close(): Promise<void>;
}

/** Tracks whether the NATS connection is up, from its status events. */
function watchConnection(nc: NatsConnection): { connected: () => boolean; stop: () => void } {
  let connected = !nc.isClosed();
  const events = nc.status() as AsyncIterable<Status> & { stop?: () => void };
  void (async () => {
    for await (const event of events) {
      if (event.type === 'disconnect') connected = false;
      else if (event.type === 'reconnect') connected = true;
    }
  })();
  return {
    connected: () => connected && !nc.isClosed() && !nc.isDraining(),
    stop: () => events.stop?.(),
  };
}

/**
 * Closes the HTTP server: stops accepting, lets in-flight requests finish.
 * Node closes the connections that are idle when closing starts; a keep-alive
 * connection whose request finishes later would hold the close open for the
 * keep-alive timeout (72 s in fastify), so idle connections are swept until
 * the server has closed.
 */
async function closeHttp(app: FastifyInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_INTERVAL_MS);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
}

function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Wires the gateway to NATS and listens: opens the KV buckets and the
 * workflow journal stream, loads and watches the registry, builds a
 * ColonyClient (which signals demand for Agents that no pod serves), and
 * serves HTTP on host:port.
 */
export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const { nc, namespace, log } = options;
  const tracing = options.tracing ?? NO_TRACING;
  const [buckets, journal] = await Promise.all([openBuckets(nc, { replicas: options.kvReplicas }), openJournal(nc, { replicas: options.kvReplicas })]);
  const registry = new RegistryView(buckets.registry, namespace);
  await registry.start();
  const placement = new PlacementView(buckets.placement, namespace);
  await placement.start();
  const connection = watchConnection(nc);
  const demand = new DemandPublisher((subject, data) => {
    try {
      nc.publish(subject, data);
    } catch (error) {
      log.warn('could not publish a demand signal', { subject, ...errorField(error) });
    }
  }, namespace);
  const client = new ColonyClient(nc, registry, {
    namespace,
    placement,
    onNoResponders: (agent, partition) => {
      demand.signal(agent, partition);
    },
  });
  let metricsRegistry = options.metricsRegistry;
  if (metricsRegistry === undefined) {
    metricsRegistry = new Registry();
    collectDefaultMetrics({ register: metricsRegistry });
  }
  const app = buildGateway({
    client,
    registry,
    namespace,
    maxPayloadBytes: nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD_BYTES,
    log,
    metricsRegistry,
    // Not ready once closing, too: buildGateway's /readyz says so.
    isReady: () => connection.connected(),
    workflows: { records: buckets.workflows, journal },
    topics: new TopicStreams(nc, namespace, { replicas: options.kvReplicas }),
    instances: new InstanceDirectory(nc, namespace, { records: buckets.state, placement }),
    apiTokens: options.apiTokens,
    tracing,
  });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= closeHttp(app).finally(async () => {
      registry.stop();
      placement.stop();
      connection.stop();
      await tracing.shutdown();
    });
    return closed;
  };
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await close();
    throw error;
  }
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://${reachableHost(options.host)}:${port}`, port, app, close };
}
