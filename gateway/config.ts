import type { LogLevel } from '../agent-runtime/observability/log.ts';
import { envText, readKvReplicas, readLogLevel, readNamespace, readNatsServers, readNatsToken, readPort, SHARED_ENV } from '../agent-runtime/protocol/shared-env.ts';
import type { Env } from '../agent-runtime/protocol/shared-env.ts';
import { parseApiTokens } from './auth.ts';
import type { ApiTokens } from './auth.ts';

/** Environment variables the gateway container reads: those every component reads alike (shared-env.ts), and its own. */
export const GATEWAY_ENV = {
  natsUrl: SHARED_ENV.natsUrl,
  natsToken: SHARED_ENV.natsToken,
  namespace: SHARED_ENV.namespace,
  logLevel: SHARED_ENV.logLevel,
  kvReplicas: SHARED_ENV.kvReplicas,
  host: 'COLONY_GATEWAY_HOST',
  port: 'COLONY_GATEWAY_PORT',
  /** Bearer tokens callers must send on /v1 (comma-separated, each at least 16 characters); unset: open. */
  apiTokens: 'COLONY_API_TOKENS',
} as const;

export const DEFAULT_GATEWAY_HOST = '0.0.0.0';
export const DEFAULT_GATEWAY_PORT = 8080;

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

/** Reads the gateway's configuration from `env`, once, at the entry. Throws naming the variable that is wrong. */
export function loadConfig(env: Env): Readonly<GatewayConfig> {
  return Object.freeze({
    natsServers: readNatsServers(env),
    natsToken: readNatsToken(env),
    namespace: readNamespace(env),
    host: envText(env, GATEWAY_ENV.host) ?? DEFAULT_GATEWAY_HOST,
    port: readPort(env, GATEWAY_ENV.port, DEFAULT_GATEWAY_PORT),
    logLevel: readLogLevel(env),
    kvReplicas: readKvReplicas(env),
    apiTokens: parseApiTokens(env[GATEWAY_ENV.apiTokens], GATEWAY_ENV.apiTokens),
  });
}
