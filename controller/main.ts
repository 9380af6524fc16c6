#!/usr/bin/env node
/**
 * The controller on Kubernetes (the container entry): leader election on a
 * Lease, then the operator — Agents from the API server, pods as Deployments,
 * placement and autoscaling over NATS. /healthz and /readyz on COLONY_HEALTH_PORT.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { connect } from '@nats-io/transport-node';
import { openBuckets } from '../agent-runtime/client/buckets.ts';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ControllerMetrics } from './metrics.ts';
import { startHealthServer } from '../agent-runtime/observability/health-server.ts';
import { createLogger, errorField } from '../agent-runtime/observability/log.ts';
import { loadConfig } from './kubernetes/config.ts';
import { LeaderElector, leaseOwner } from './kubernetes/leader.ts';
import { Operator } from './kubernetes/operator.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    process.stderr.write(`colony controller: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const log = createLogger({ level: config.logLevel, fields: { component: 'controller', identity: config.identity } });
  process.on('unhandledRejection', (reason) => log.error('unhandled promise rejection', errorField(reason)));
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const nc = await connect({ servers: [...config.natsServers], token: config.natsToken, name: `colony-controller-${config.identity}`, maxReconnectAttempts: -1, reconnectTimeWait: 250, noAsyncTraces: true });
  const buckets = await openBuckets(nc, { replicas: config.kvReplicas });
  let operator: Operator | undefined;
  // GET /metrics on the health port: the controllers' metrics (only the leader's are non-zero) and Node's.
  const metricsRegistry = new Registry();
  collectDefaultMetrics({ register: metricsRegistry });
  const metrics = new ControllerMetrics(metricsRegistry);
  const elector = new LeaderElector({
    kc,
    namespace: config.leaseNamespace,
    name: config.leaseName,
    identity: config.identity,
    owner: await leaseOwner(kc, config.leaseNamespace, config.leaseOwner, log),
    log,
    onStartedLeading: () => {
      operator = new Operator({
        kc,
        nc,
        buckets,
        runtimeImage: config.runtimeImage,
        natsUrl: config.natsServers.join(','),
        natsToken: config.natsToken,
        kvReplicas: config.kvReplicas,
        runtimeImagePullPolicy: config.runtimeImagePullPolicy,
        runtimeImagePullSecrets: config.runtimeImagePullSecrets,
        namespaces: config.watchNamespaces,
        log,
        metrics,
      });
      operator.start().catch((error: unknown) => {
        log.error('the operator failed to start; exiting so that Kubernetes restarts this controller', errorField(error));
        process.exit(1);
      });
    },
    onStoppedLeading: () => {
      // Another replica may be leading by now: stop acting at once, as client-go does.
      log.error('lost the leader lease; exiting');
      process.exit(1);
    },
  });
  const health = await startHealthServer(
    config.healthPort,
    () => ({
      ready: !nc.isClosed() && (!elector.leading || (operator?.synced ?? false)),
      detail: { leading: elector.leading, synced: operator?.synced ?? false },
    }),
    async () => ({ contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() }),
  );
  elector.start();
  log.info('controller started', { watchNamespaces: config.watchNamespaces.length > 0 ? config.watchNamespaces : 'all', healthPort: health.port });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info(`${signal}: stopping (the Agents' pods keep running)`);
    void (async () => {
      await operator?.stop();
      await elector.stop();
      await health.close();
      await nc.drain().catch(() => undefined);
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`colony controller: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
