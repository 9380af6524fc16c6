import { hostname } from 'node:os';
import type { LogLevel } from '../../agent-runtime/observability/log.ts';
import { commaList, ConfigError, envText, readKvReplicas, readLogLevel, readNamespace, readNatsServers, readNatsToken, readPort, SHARED_ENV } from '../../agent-runtime/protocol/shared-env.ts';
import type { Env } from '../../agent-runtime/protocol/shared-env.ts';
import { isDnsLabel } from '../../agent-runtime/protocol/limits.ts';

/** Environment variables the controller container reads: those every component reads alike (shared-env.ts), and its own. */
export const CONTROLLER_ENV = {
  natsUrl: SHARED_ENV.natsUrl,
  natsToken: SHARED_ENV.natsToken,
  logLevel: SHARED_ENV.logLevel,
  kvReplicas: SHARED_ENV.kvReplicas,
  healthPort: SHARED_ENV.healthPort,
  runtimeImage: 'COLONY_RUNTIME_IMAGE',
  /** Namespaces to manage Agents in, comma-separated; unset or empty: all. */
  watchNamespaces: 'COLONY_WATCH_NAMESPACES',
  leaseNamespace: 'COLONY_LEASE_NAMESPACE',
  leaseName: 'COLONY_LEASE_NAME',
  /** A Deployment in the Lease's namespace that owns the Lease (the chart's controller): it goes when that goes. */
  leaseOwner: 'COLONY_LEASE_OWNER',
  /** This replica's name (the downward API's metadata.name): its identity in leader election. */
  podName: 'COLONY_POD_NAME',
  runtimeImagePullPolicy: 'COLONY_RUNTIME_IMAGE_PULL_POLICY',
  /** Secrets for pulling the runtime image, comma-separated. */
  runtimeImagePullSecrets: 'COLONY_RUNTIME_IMAGE_PULL_SECRETS',
} as const;

/** Everything the controller needs on Kubernetes, read once from its environment. */
export interface OperatorConfig {
  /** One or more NATS URLs; runtime pods get the same list. */
  natsServers: readonly string[];
  /** The token NATS requires, if it requires one; runtime pods get it through a Secret per Agent. */
  natsToken: string | undefined;
  runtimeImage: string;
  /** Namespaces to manage Agents in; empty for all. */
  watchNamespaces: string[];
  /** Where the leader-election Lease lives (the controller's own namespace). */
  leaseNamespace: string;
  leaseName: string;
  /** The name of the Deployment that owns the Lease, if any. */
  leaseOwner: string | undefined;
  identity: string;
  healthPort: number;
  logLevel: LogLevel;
  /** JetStream replicas of the KV buckets: 1 for one NATS server, 3 or 5 for a cluster; runtime pods get the same. */
  kvReplicas: number;
  /** How runtime pods pull their image, and with which secrets (private registries). */
  runtimeImagePullPolicy: string | undefined;
  runtimeImagePullSecrets: string[];
}

export const DEFAULT_RUNTIME_IMAGE = 'colony/runtime:0.1.0';
export const DEFAULT_LEASE_NAMESPACE = 'colony-system';
export const LEASE_NAME = 'colony-controller';
export const DEFAULT_CONTROLLER_HEALTH_PORT = 8080;

function list(env: Env, name: string): string[] {
  return commaList(env[name]);
}

function namespaces(env: Env, name: string): string[] {
  const names = list(env, name);
  const wrong = names.find((namespace) => !isDnsLabel(namespace));
  if (wrong !== undefined) throw new ConfigError(name, env[name], `"${wrong}" is not a namespace; give namespaces (DNS labels) separated by commas, or nothing for all`);
  return names;
}

/** Reads the controller's configuration from `env`, once, at the entry. Throws a ConfigError naming the variable that is wrong. */
export function loadConfig(env: Env): Readonly<OperatorConfig> {
  return Object.freeze({
    natsServers: readNatsServers(env),
    natsToken: readNatsToken(env),
    runtimeImage: envText(env, CONTROLLER_ENV.runtimeImage) ?? DEFAULT_RUNTIME_IMAGE,
    watchNamespaces: namespaces(env, CONTROLLER_ENV.watchNamespaces),
    leaseNamespace: readNamespace(env, CONTROLLER_ENV.leaseNamespace, DEFAULT_LEASE_NAMESPACE),
    leaseName: envText(env, CONTROLLER_ENV.leaseName) ?? LEASE_NAME,
    leaseOwner: envText(env, CONTROLLER_ENV.leaseOwner),
    identity: envText(env, CONTROLLER_ENV.podName) ?? `${hostname()}-${process.pid}`,
    healthPort: readPort(env, CONTROLLER_ENV.healthPort, DEFAULT_CONTROLLER_HEALTH_PORT),
    logLevel: readLogLevel(env),
    kvReplicas: readKvReplicas(env),
    runtimeImagePullPolicy: envText(env, CONTROLLER_ENV.runtimeImagePullPolicy),
    runtimeImagePullSecrets: list(env, CONTROLLER_ENV.runtimeImagePullSecrets),
  });
}
