/**
 * The environment every Colony process reads alike: runtime pods, the
 * controller, the gateway and `colony dev`. One name, one default and one
 * validation per knob, so that a value set once (a Helm value, a shell
 * variable) means the same to all of them. Each component's loadConfig reads
 * these through the functions below, and its own knobs beside them.
 */
import { isLogLevel, LOG_LEVELS } from '../observability/log.ts';
import type { LogLevel } from '../observability/log.ts';
import { ColonyError } from './errors.ts';
import { DEFAULT_NAMESPACE, isDnsLabel } from './limits.ts';

export const SHARED_ENV = {
  /** One or more NATS URLs, comma-separated. */
  natsUrl: 'COLONY_NATS_URL',
  /** The token NATS requires of its clients (the chart's `nats.auth`); unset where NATS asks for none. */
  natsToken: 'COLONY_NATS_TOKEN',
  /** The Colony namespace a pod or a gateway serves. */
  namespace: 'COLONY_NAMESPACE',
  logLevel: 'COLONY_LOG_LEVEL',
  /** JetStream replicas of the KV buckets (1 for one NATS server, 3 or 5 for a cluster); whoever creates a bucket first sets it. */
  kvReplicas: 'COLONY_KV_REPLICAS',
  /** Port of /healthz and /readyz (the gateway serves them on its own port); 0 picks a free one. */
  healthPort: 'COLONY_HEALTH_PORT',
} as const;

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
export const DEFAULT_KV_REPLICAS = 1;
/** The replica counts JetStream offers that tolerate failures (even counts do not tolerate more than the odd one below). */
export const KV_REPLICA_COUNTS: readonly number[] = Object.freeze([1, 3, 5]);

export type Env = Readonly<Record<string, string | undefined>>;

/** A variable of the environment is wrong or missing; the message names it and says what it should be. */
export class ConfigError extends ColonyError {
  readonly variable: string;

  constructor(variable: string, value: string | undefined, expected: string) {
    super('invalid_argument', `${variable} ${value === undefined ? 'is not set' : `is ${JSON.stringify(value)}`}; ${expected}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** The variable's value, trimmed; undefined when unset or blank. */
export function envText(env: Env, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

/** The items of a comma-separated list, trimmed, without empty ones. */
export function commaList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** NATS URLs given as one string, comma-separated (COLONY_NATS_URL, `colony dev --nats-url`). */
export function natsServerList(text: string): string[] {
  return commaList(text);
}

/** COLONY_NATS_URL as a list of servers. */
export function readNatsServers(env: Env): readonly string[] {
  const text = env[SHARED_ENV.natsUrl] ?? '';
  const servers = natsServerList(text.trim() || DEFAULT_NATS_URL);
  if (servers.length === 0) throw new ConfigError(SHARED_ENV.natsUrl, text, 'give one or more NATS URLs, comma-separated');
  return Object.freeze(servers);
}

/** COLONY_NATS_TOKEN as it is (a token may hold any character); undefined when empty. */
export function readNatsToken(env: Env): string | undefined {
  return env[SHARED_ENV.natsToken] || undefined;
}

/** A namespace (COLONY_NAMESPACE unless another variable is named): a DNS label. */
export function readNamespace(env: Env, name: string = SHARED_ENV.namespace, fallback: string = DEFAULT_NAMESPACE): string {
  const namespace = envText(env, name) ?? fallback;
  if (!isDnsLabel(namespace)) throw new ConfigError(name, namespace, 'a namespace is a DNS label: lower-case letters, digits and "-", at most 63');
  return namespace;
}

export function readLogLevel(env: Env): LogLevel {
  const level = envText(env, SHARED_ENV.logLevel) ?? DEFAULT_LOG_LEVEL;
  if (!isLogLevel(level)) throw new ConfigError(SHARED_ENV.logLevel, level, `use one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

export function readKvReplicas(env: Env): number {
  const text = envText(env, SHARED_ENV.kvReplicas);
  if (text === undefined) return DEFAULT_KV_REPLICAS;
  const replicas = Number(text);
  if (!KV_REPLICA_COUNTS.includes(replicas)) {
    throw new ConfigError(SHARED_ENV.kvReplicas, text, `give the JetStream replicas of the KV buckets: ${KV_REPLICA_COUNTS.join(', ')} (at most the NATS servers there are)`);
  }
  return replicas;
}

/** A TCP port (0 picks a free one). */
export function readPort(env: Env, name: string, fallback: number): number {
  const text = envText(env, name);
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new ConfigError(name, text, 'give a TCP port number from 0 to 65535');
  return port;
}
