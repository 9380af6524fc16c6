import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { openBuckets } from '../../agent-runtime/client/buckets.ts';
import { AGENT_NODE_OPTIONS, ownModule } from '../../agent-runtime/host/own-files.ts';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import type { LogLevel, StructuredLogger } from '../../agent-runtime/observability/log.ts';
import { DEFAULT_NAMESPACE } from '../../agent-runtime/protocol/limits.ts';
import { POD_ENV } from '../../agent-runtime/protocol/pod-env.ts';
import { DEFAULT_KV_REPLICAS, natsServerList } from '../../agent-runtime/protocol/shared-env.ts';
import type { AutoscalerTunables } from '../../controller/autoscaler/tunables.ts';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { Controller } from '../../controller/controller.ts';
import { ControllerMetrics } from '../../controller/metrics.ts';
import { startTracing } from '../../agent-runtime/observability/tracing.ts';
import type { DriverPod } from '../../controller/drivers/driver.ts';
import { LocalDriver } from '../../controller/drivers/local/local-driver.ts';
import type { AgentSpec } from '../../controller/manifest/agent-spec.ts';
import { placementUnits } from '../../controller/placement/groups.ts';
import { startGateway } from '../../gateway/gateway.ts';
import { colonyCacheDir } from '../tools/cache-dir.ts';
import { ensureNatsServer, NATS_STOP_GRACE_MS, startNatsServer } from '../tools/nats-server.ts';
import type { RunningNatsServer } from '../tools/nats-server.ts';

export const RUNTIME_ENTRY = ownModule('../../agent-runtime/host/main.ts', import.meta.url);

export interface PlatformOptions {
  agents: AgentSpec[];
  /** Where nats-server keeps JetStream data (`<dataDir>/nats`). */
  dataDir: string;
  /** Use this NATS instead of starting nats-server. */
  natsUrl?: string | undefined;
  /** With `natsUrl`: the token it requires (COLONY_NATS_TOKEN). A nats-server started here asks for none. */
  natsToken?: string | undefined;
  /** With `natsUrl`: JetStream replicas of the KV buckets (COLONY_KV_REPLICAS). A nats-server started here is one server: 1. */
  kvReplicas?: number;
  gatewayHost?: string;
  /** Gateway port; 0 picks a free one. */
  gatewayPort: number;
  namespace?: string;
  log: StructuredLogger;
  /** Every line a pod writes. */
  onPodOutput?: (pod: DriverPod, line: string, stream: 'stdout' | 'stderr') => void;
  podLogLevel?: LogLevel;
  /** Progress while tools are prepared (building nats-server). */
  onProgress?: (line: string) => void;
  /** How long to wait for every Agent to be served, ms. */
  readyTimeoutMs?: number;
  /** Autoscaler knobs (tests shorten its windows and delays). */
  autoscaler?: Partial<AutoscalerTunables>;
  /** The processes started of one kind, each time they change (`colony dev` records them in its data dir). */
  onChildProcesses?: (kind: 'nats-server' | 'pod', processes: ChildProcessInfo[]) => void;
}

/** A process the platform started, and how long it may take to stop after SIGTERM before it is killed. */
export interface ChildProcessInfo {
  name: string;
  pid: number;
  graceMs: number;
}

export interface Platform {
  gatewayUrl: string;
  natsUrl: string;
  nc: NatsConnection;
  controller: Controller;
  driver: LocalDriver;
  /** The nats-server process, when this platform started one. */
  natsPid: number | undefined;
  /** Stops the gateway, drains and stops every pod, then nats-server (when started here). */
  stop(): Promise<void>;
}

/**
 * The whole platform on one machine, as `colony dev` runs it: nats-server
 * with JetStream, the controller with the local driver (pods are child
 * processes), and the gateway.
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const log = options.log;
  // An Agent that would not run (a placement group named after another Agent) stops colony dev before anything starts.
  const refused = placementUnits(options.agents.filter((a) => a.namespace === namespace)).problems.filter((p) => p.fatal);
  if (refused.length > 0) throw new Error(refused.map((p) => `agent ${p.agent} (${options.agents.find((a) => a.name === p.agent)?.origin}): ${p.message}`).join('\n'));
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => log.warn(`stopping failed: ${(error as Error).message}`));
    }
  };
  try {
    let natsUrl = options.natsUrl;
    // The controller, the gateway and every pod open the buckets and connect alike.
    const natsToken = natsUrl ? options.natsToken : undefined;
    const kvReplicas = natsUrl ? options.kvReplicas : DEFAULT_KV_REPLICAS;
    let server: RunningNatsServer | undefined;
    if (!natsUrl) {
      const binary = await ensureNatsServer({ allowPath: true, log: options.onProgress });
      const storeDir = join(resolve(options.dataDir), 'nats');
      await mkdir(storeDir, { recursive: true });
      server = await startNatsServer({
        binary,
        storeDir,
        detached: true,
        onSpawn: (pid) => options.onChildProcesses?.('nats-server', [{ name: 'nats-server', pid, graceMs: NATS_STOP_GRACE_MS }]),
      });
      natsUrl = server.url;
      const started = server;
      cleanups.push(() => started.stop());
      // Last resort when this process exits without stopping (an uncaught error): leave no nats-server behind.
      process.on('exit', () => started.process.kill('SIGKILL'));
    }
    const connectOptions = { servers: natsServerList(natsUrl), token: natsToken, maxReconnectAttempts: -1, reconnectTimeWait: 250, noAsyncTraces: true };
    const nc = await connect({ ...connectOptions, name: 'colony-dev' });
    cleanups.push(async () => {
      await nc.drain().catch(() => undefined);
    });
    // The gateway gets a connection of its own, as it has in a cluster: its traffic never queues behind the controller's.
    const gatewayNc = await connect({ ...connectOptions, name: 'colony-gateway' });
    cleanups.push(async () => {
      await gatewayNc.drain().catch(() => undefined);
    });
    const buckets = await openBuckets(nc, { replicas: kvReplicas });
    // colony dev's gateway serves the controller's metrics beside its own (GET /metrics): one process, one scrape.
    const metricsRegistry = new Registry();
    collectDefaultMetrics({ register: metricsRegistry });
    const controller = new Controller({
      nc,
      buckets,
      namespace,
      log: log.child({ component: 'controller' }),
      autoscaler: options.autoscaler,
      metrics: new ControllerMetrics(metricsRegistry),
    });
    const driver = new LocalDriver({
      natsUrl,
      natsToken,
      kvReplicas,
      runtimeArgs: [...AGENT_NODE_OPTIONS, RUNTIME_ENTRY],
      events: { onPodGone: (...args) => controller.onPodGone(...args) },
      log: log.child({ component: 'local-driver' }),
      onPodOutput: options.onPodOutput,
      onPodProcesses: (pods) =>
        options.onChildProcesses?.('pod', pods.map((pod) => ({ name: pod.podId, pid: pod.pid, graceMs: pod.graceMs }))),
      env: {
        [POD_ENV.logLevel]: options.podLogLevel ?? 'info',
        // V8's compile cache (with Node's type stripping) makes a pod start about 100 ms sooner: cold starts.
        NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(colonyCacheDir(), 'node-compile-cache'),
      },
    });
    controller.attach(driver);
    await controller.start();
    cleanups.push(() => controller.stop());
    await controller.apply(options.agents);
    const host = options.gatewayHost ?? '127.0.0.1';
    const gateway = await startGateway({
      nc: gatewayNc,
      namespace,
      host,
      port: options.gatewayPort,
      log: log.child({ component: 'gateway' }),
      kvReplicas,
      metricsRegistry,
      // Pods inherit this process's environment, so OTEL_* turn tracing on for all of colony dev.
      tracing: startTracing('colony-gateway', process.env, { 'colony.namespace': namespace }),
    }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new Error(`the gateway cannot listen on ${host}:${options.gatewayPort}: the port is in use; stop what uses it, or pass --port (0 picks a free one)`, { cause: error });
      }
      throw error;
    });
    cleanups.push(() => gateway.close());
    await controller.waitSettled(options.readyTimeoutMs ?? 60_000);
    return { gatewayUrl: gateway.url, natsUrl, nc, controller, driver, natsPid: server?.process.pid, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export { createLogger };
