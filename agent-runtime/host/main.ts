#!/usr/bin/env node
/** Entry of a runtime pod: wires config, NATS, the agent module and the host; handles signals. */
import module from 'node:module';
import { connect } from '@nats-io/transport-node';
import { createLogger, errorField } from '../observability/log.ts';
import type { StructuredLogger } from '../observability/log.ts';
import { POD_ENV } from '../protocol/pod-env.ts';
import { importAgentDefinition } from './agent-module.ts';
import { ConfigError } from '../protocol/shared-env.ts';
import { loadConfig } from './config.ts';
import { Host } from './host.ts';
import { startTracing } from '../observability/tracing.ts';
import { PARENT_GONE_EXIT_MARGIN_MS, parentGone, parentGoneDrainMs, watchParent } from './parent-watch.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`colony runtime: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  // When the reader of this pod's output is gone (colony dev killed), writing fails with EPIPE; an
  // unhandled write error would be logged, which fails again, forever (a pod spinning at full CPU).
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const log = createLogger({ level: config.logLevel, fields: { pod: config.podId, agent: config.unit } });
  process.on('unhandledRejection', (reason) => log.error('unhandled promise rejection', errorField(reason)));
  process.on('uncaughtException', (error) => log.error('uncaught exception', errorField(error)));

  const definitions = [];
  for (const agent of config.agents) definitions.push((await importAgentDefinition(agent.modulePath, agent.exportName)).definition);
  const nc = await connect({
    servers: [...config.natsServers],
    token: config.natsToken,
    name: config.podId,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // Stack traces for request errors cost a captured Error per call; Colony wraps those errors anyway.
    noAsyncTraces: true,
  });
  // OpenTelemetry's own variables (OTEL_EXPORTER_OTLP_ENDPOINT...), read here at the entry as the rest.
  const tracing = startTracing('colony-runtime', process.env, { 'colony.pod': config.podId, 'colony.unit': config.unit, 'colony.namespace': config.namespace });
  const host = await Host.start(config, { nc, definitions, log, tracing });
  // Write the compile cache now rather than at exit, so the next pod of this machine starts faster.
  module.flushCompileCache?.();
  handleStops(host, config.drainTimeoutMs, log, Number(process.env[POD_ENV.parentPid]));
}

/**
 * SIGTERM or SIGINT: drain and exit; a second one: exit at once. A local pod
 * also stops when `colony dev` is gone (even killed): then nobody waits for its
 * replies, so it drains briefly and is gone within a bound whatever the drain
 * waits for (NATS may be gone too), and a signal then (whoever cleans up after
 * `colony dev`) does not cut that drain short.
 */
function handleStops(host: Host, drainTimeoutMs: number, log: StructuredLogger, parentPid: number): void {
  const hasParent = Number.isInteger(parentPid) && parentPid > 0;
  let signals = 0;
  let orphaned = false;
  const stop = (drainMs: number): void => {
    host.stop({ drainTimeoutMs: drainMs }).then(
      () => process.exit(0),
      (error: unknown) => {
        log.error('drain failed', errorField(error));
        process.exit(1);
      },
    );
  };
  const onParentGone = (): void => {
    if (orphaned) return;
    orphaned = true;
    const drainMs = parentGoneDrainMs(drainTimeoutMs);
    log.warn(`colony dev (pid ${parentPid}) is gone: draining for at most ${drainMs} ms, then exiting`);
    setTimeout(() => {
      log.error('still stopping after colony dev is gone; exiting without finishing the drain');
      process.exit(1);
    }, drainMs + PARENT_GONE_EXIT_MARGIN_MS);
    stop(drainMs);
  };
  const onSignal = (signal: string): void => {
    if (hasParent && parentGone(parentPid)) return onParentGone();
    signals += 1;
    if (signals > 1) {
      log.warn(`second ${signal}: exiting without finishing the drain`);
      process.exit(1);
    }
    log.info(`${signal} received`);
    stop(drainTimeoutMs);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  if (hasParent) watchParent(parentPid, onParentGone);
}

main().catch((error: unknown) => {
  process.stderr.write(`colony runtime: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
