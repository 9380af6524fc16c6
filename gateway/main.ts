import { connect } from '@nats-io/transport-node';
import { createLogger, errorField } from '../agent-runtime/observability/log.ts';
import { loadConfig } from './config.ts';
import { startGateway } from './gateway.ts';
import { startTracing } from '../agent-runtime/observability/tracing.ts';

/**
 * The gateway container's entry: configuration from the environment, one NATS
 * connection that reconnects forever, the HTTP server, and a graceful stop on
 * SIGTERM/SIGINT (stop accepting, finish in-flight calls, drain NATS, exit 0).
 */
const bootLog = createLogger({ fields: { component: 'gateway' } });
let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  bootLog.error('invalid configuration', errorField(error));
  process.exit(1);
}
const log = createLogger({ level: config.logLevel, fields: { component: 'gateway', namespace: config.namespace } });

try {
  // noAsyncTraces: nats.js otherwise builds an Error (a stack capture) per request to decorate a
  // possible failure; on the gateway's hot path that costs more than all of the gateway's own code.
  // waitOnFirstConnect: NATS may start after the gateway (a fresh install); keep trying instead of exiting.
  log.info('connecting to NATS', { servers: config.natsServers });
  const nc = await connect({
    servers: [...config.natsServers],
    token: config.natsToken,
    name: 'colony-gateway',
    maxReconnectAttempts: -1,
    waitOnFirstConnect: true,
    noAsyncTraces: true,
  });
  const gateway = await startGateway({
    nc,
    namespace: config.namespace,
    host: config.host,
    port: config.port,
    log,
    kvReplicas: config.kvReplicas,
    apiTokens: config.apiTokens,
    // OpenTelemetry's own variables (OTEL_EXPORTER_OTLP_ENDPOINT...), read here at the entry as the rest.
    tracing: startTracing('colony-gateway', process.env, { 'colony.namespace': config.namespace }),
  });
  if (!config.apiTokens) log.warn('COLONY_API_TOKENS is not set: anyone who reaches this gateway can call every agent');
  log.info('gateway listening', { url: gateway.url, nats: nc.getServer() });

  let stopping = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info('stopping: finishing in-flight requests', { signal });
    try {
      await gateway.close();
      log.info('HTTP closed; draining NATS');
      await nc.drain();
      log.info('stopped');
      process.exit(0);
    } catch (error) {
      log.error('could not stop cleanly', errorField(error));
      process.exit(1);
    }
  };
  process.once('SIGTERM', (signal) => void stop(signal));
  process.once('SIGINT', (signal) => void stop(signal));
} catch (error) {
  log.error('the gateway could not start', errorField(error));
  process.exit(1);
}
