import { ColonyError } from '../agent-runtime/protocol/errors.ts';
import { DEFAULT_NAMESPACE, isDnsLabel } from '../agent-runtime/protocol/limits.ts';
import { isLogLevel, LOG_LEVELS } from '../agent-runtime/observability/log.ts';
import type { LogLevel } from '../agent-runtime/observability/log.ts';
import { POD_ENV } from '../agent-runtime/protocol/pod-env.ts';
import { parseApiTokens } from './auth.ts';
import type { ApiTokens } from './auth.ts';

/** Environment variables the gateway container reads (NATS, namespace and log level are named as for pods). */
export const GATEWAY_ENV = {
  natsUrl: POD_ENV.natsUrl,
  natsToken: POD_ENV.natsToken,
  namespace: POD_ENV.namespace,
  logLevel: POD_ENV.logLevel,
  host: 'COLONY_GATEWAY_HOST',
  port: 'COLONY_GATEWAY_PORT',
  kvReplicas: POD_ENV.kvReplicas,
  /** Bearer tokens callers must send on /v1 (comma-separated, each at least 16 characters); unset: open. */
  apiTokens: 'COLONY_API_TOKENS',
} as const;

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const DEFAULT_GATEWAY_HOST = '0.0.0.0';
export const DEFAULT_GATEWAY_PORT = 8080;
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

export interface GatewayConfig {
  /** One or more NATS URLs, comma-separated in the environment. */
  natsServers: readonly string[];
  /** The token NATS requires, if it requires one. */
  natsToken: string | undefined;
  namespace: string;
  host: string;
  port: number;
  logLevel: LogLevel;
  /** JetStream replicas of the KV buckets, should the gateway be the first to create them. */
  kvReplicas: number;
  /** Tokens required on /v1 routes; undefined: the gateway is open. */
  apiTokens: ApiTokens | undefined;
}

function invalid(name: string, value: string, expected: string): ColonyError {
  return new ColonyError('invalid_argument', `${name} is "${value}"; ${expected}`);
}

/** Reads the gateway's configuration from `env`, once, at the entry. Throws naming the variable that is wrong. */
export function loadConfig(env: NodeJS.ProcessEnv): Readonly<GatewayConfig> {
  const natsUrl = env[GATEWAY_ENV.natsUrl]?.trim() || DEFAULT_NATS_URL;
  const natsServers = Object.freeze(
    natsUrl
      .split(',')
      .map((server) => server.trim())
      .filter((server) => server.length > 0),
  );
  if (natsServers.length === 0) throw invalid(GATEWAY_ENV.natsUrl, natsUrl, 'give one or more NATS URLs, comma-separated');

  const namespace = env[GATEWAY_ENV.namespace]?.trim() || DEFAULT_NAMESPACE;
  if (!isDnsLabel(namespace)) {
    throw invalid(GATEWAY_ENV.namespace, namespace, 'a namespace is a DNS label: lower-case letters, digits and "-", at most 63');
  }

  const host = env[GATEWAY_ENV.host]?.trim() || DEFAULT_GATEWAY_HOST;

  const portText = env[GATEWAY_ENV.port]?.trim() || String(DEFAULT_GATEWAY_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) {
    throw invalid(GATEWAY_ENV.port, portText, 'give a TCP port number from 0 to 65535');
  }

  const logLevel = env[GATEWAY_ENV.logLevel]?.trim() || DEFAULT_LOG_LEVEL;
  if (!isLogLevel(logLevel)) throw invalid(GATEWAY_ENV.logLevel, logLevel, `use one of ${LOG_LEVELS.join(', ')}`);

  const kvReplicasText = env[GATEWAY_ENV.kvReplicas] || '1';
  const kvReplicas = Number(kvReplicasText);
  if (!Number.isInteger(kvReplicas) || kvReplicas < 1) throw invalid(GATEWAY_ENV.kvReplicas, kvReplicasText, 'give the number of KV replicas: 1, 3 or 5');
  const natsToken = env[GATEWAY_ENV.natsToken] || undefined;
  const apiTokens = parseApiTokens(env[GATEWAY_ENV.apiTokens], GATEWAY_ENV.apiTokens);
  return Object.freeze({ natsServers, natsToken, namespace, host, port, logLevel, kvReplicas, apiTokens });
}
