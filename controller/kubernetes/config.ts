import { hostname } from 'node:os';
import { isLogLevel } from '../../agent-runtime/observability/log.ts';
import type { LogLevel } from '../../agent-runtime/observability/log.ts';

/** Everything the controller needs on Kubernetes, read once from its environment. */
export interface OperatorConfig {
  natsUrl: string;
  /** The token NATS requires (COLONY_NATS_TOKEN), if it requires one; runtime pods get it through a Secret per Agent. */
  natsToken: string | undefined;
  runtimeImage: string;
  /** Namespaces to manage Agents in; empty for all. */
  watchNamespaces: string[];
  /** Where the leader-election Lease lives (the controller's own namespace). */
  leaseNamespace: string;
  leaseName: string;
  identity: string;
  healthPort: number;
  logLevel: LogLevel;
  /** JetStream replicas of the KV buckets: 1 for one NATS server, 3 for a cluster. */
  kvReplicas: number;
  /** How runtime pods pull their image, and with which secrets (private registries). */
  runtimeImagePullPolicy: string | undefined;
  runtimeImagePullSecrets: string[];
}

export const DEFAULT_RUNTIME_IMAGE = 'colony/runtime:0.1.0';
export const LEASE_NAME = 'colony-controller';

export function loadConfig(env: NodeJS.ProcessEnv): Readonly<OperatorConfig> {
  const natsUrl = env.COLONY_NATS_URL;
  if (!natsUrl) throw new Error('environment variable COLONY_NATS_URL is required (the NATS server with JetStream, e.g. nats://colony-nats:4222)');
  const logLevel = env.COLONY_LOG_LEVEL || 'info';
  if (!isLogLevel(logLevel)) throw new Error('COLONY_LOG_LEVEL must be debug, info, warn or error');
  const healthPort = Number(env.COLONY_HEALTH_PORT || 8080);
  const kvReplicas = Number(env.COLONY_KV_REPLICAS || 1);
  if (!Number.isInteger(healthPort) || healthPort < 0) throw new Error(`COLONY_HEALTH_PORT must be a port number, got ${env.COLONY_HEALTH_PORT}`);
  if (kvReplicas !== 1 && kvReplicas !== 3 && kvReplicas !== 5) throw new Error(`COLONY_KV_REPLICAS must be 1, 3 or 5, got ${env.COLONY_KV_REPLICAS}`);
  return Object.freeze({
    natsUrl,
    natsToken: env.COLONY_NATS_TOKEN || undefined,
    runtimeImage: env.COLONY_RUNTIME_IMAGE || DEFAULT_RUNTIME_IMAGE,
    watchNamespaces: (env.COLONY_WATCH_NAMESPACES ?? '').split(',').map((n) => n.trim()).filter(Boolean),
    leaseNamespace: env.COLONY_LEASE_NAMESPACE || 'colony-system',
    leaseName: env.COLONY_LEASE_NAME || LEASE_NAME,
    identity: env.COLONY_POD_NAME || `${hostname()}-${process.pid}`,
    healthPort,
    logLevel,
    kvReplicas,
    runtimeImagePullPolicy: env.COLONY_RUNTIME_IMAGE_PULL_POLICY || undefined,
    runtimeImagePullSecrets: (env.COLONY_RUNTIME_IMAGE_PULL_SECRETS ?? '').split(',').map((n) => n.trim()).filter(Boolean),
  });
}
