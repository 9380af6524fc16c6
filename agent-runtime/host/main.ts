#!/usr/bin/env node
/** Entry of a runtime pod: wires config, NATS, the agent module and the host; handles signals. */
import module from 'node:module';
import { connect } from '@nats-io/transport-node';
import { createLogger, errorField } from '../observability/log.ts';
import { POD_ENV } from '../protocol/pod-env.ts';
import { importAgentDefinition } from './agent-module.ts';
import { ConfigError } from '../protocol/shared-env.ts';
import { loadConfig } from './config.ts';
import { Host } from './host.ts';

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
  const log = createLogger({ level: config.logLevel, fields: { pod: config.podId, agent: config.agent } });
  process.on('unhandledRejection', (reason) => log.error('unhandled promise rejection', errorField(reason)));
  process.on('uncaughtException', (error) => log.error('uncaught exception', errorField(error)));

  const { definition } = await importAgentDefinition(config.modulePath, config.exportName);
  const nc = await connect({
    servers: [...config.natsServers],
    token: config.natsToken,
    name: config.podId,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // Stack traces for request errors cost a captured Error per call; Colony wraps those errors anyway.
    noAsyncTraces: true,
  });
  const host = await Host.start(config, { nc, definition, log });
  // Write the compile cache now rather than at exit, so the next pod of this machine starts faster.
  module.flushCompileCache?.();
  let signals = 0;
  const shutdown = (signal: string): void => {
    signals += 1;
    if (signals > 1) {
      log.warn(`second ${signal}: exiting without finishing the drain`);
      process.exit(1);
    }
    log.info(`${signal} received`);
    host.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error('drain failed', errorField(error));
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  watchParent(process.env[POD_ENV.parentPid], () => shutdown('parent exit'));
}

/** A local pod outlives nothing: when `colony dev` is gone (even killed), the pod drains and exits. */
function watchParent(parentPid: string | undefined, onGone: () => void): void {
  const pid = Number(parentPid);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const timer = setInterval(() => {
    if (process.ppid !== pid) {
      clearInterval(timer);
      onGone();
    }
  }, 500);
  timer.unref();
}

main().catch((error: unknown) => {
  process.stderr.write(`colony runtime: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
