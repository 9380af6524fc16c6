import { DEFAULT_NAMESPACE, DEFAULT_PARTITIONS, isDnsLabel } from '../protocol/limits.ts';
import { isLogLevel } from '../observability/log.ts';
import type { LogLevel } from '../observability/log.ts';
import { DURABILITY_MODES, POD_ENV } from '../protocol/pod-env.ts';
import type { Durability } from '../protocol/pod-env.ts';

export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000;
export const DEFAULT_HEALTH_PORT = 8081;
/**
 * A pod that finds its event loop did not run for this long (SIGSTOP, a VM
 * pause, a long synchronous turn) drops its activations and re-reads the
 * placement table before it serves again. It must stay well under the
 * controller's pod timeout (5 s), which is when others may take over its partitions.
 */
export const DEFAULT_STALL_LIMIT_MS = 2_000;

/** Everything a runtime pod needs to know, read once from its environment. */
export interface HostConfig {
  natsUrl: string;
  /** The token NATS requires, if it requires one. */
  natsToken: string | undefined;
  namespace: string;
  agent: string;
  podId: string;
  modulePath: string;
  exportName: string | undefined;
  partitions: number;
  durability: Durability;
  idleTimeoutMs: number;
  drainTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Port of /healthz and /readyz; 0 picks a free one. */
  healthPort: number;
  logLevel: LogLevel;
  stallLimitMs: number;
  kvReplicas: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`environment variable ${name} is required`);
  return value;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`environment variable ${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv): Readonly<HostConfig> {
  const namespace = env[POD_ENV.namespace] || DEFAULT_NAMESPACE;
  const agent = required(env, POD_ENV.agent);
  for (const [name, value] of [
    [POD_ENV.namespace, namespace],
    [POD_ENV.agent, agent],
  ] as const) {
    if (!isDnsLabel(value)) throw new ConfigError(`${name}=${JSON.stringify(value)} is not a DNS-1123 label (lowercase letters, digits, "-")`);
  }
  const durability = env[POD_ENV.durability] || 'turn';
  if (!(DURABILITY_MODES as readonly string[]).includes(durability)) {
    throw new ConfigError(`${POD_ENV.durability} must be one of ${DURABILITY_MODES.join(', ')}, got ${JSON.stringify(durability)}`);
  }
  const logLevel = env[POD_ENV.logLevel] || 'info';
  if (!isLogLevel(logLevel)) throw new ConfigError(`${POD_ENV.logLevel} must be debug, info, warn or error`);
  return Object.freeze({
    natsUrl: env[POD_ENV.natsUrl] || 'nats://127.0.0.1:4222',
    natsToken: env[POD_ENV.natsToken] || undefined,
    namespace,
    agent,
    podId: required(env, POD_ENV.podId),
    modulePath: required(env, POD_ENV.module),
    exportName: env[POD_ENV.exportName] || undefined,
    partitions: integer(env, POD_ENV.partitions, DEFAULT_PARTITIONS, 1),
    durability: durability as Durability,
    idleTimeoutMs: integer(env, POD_ENV.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS, 1),
    drainTimeoutMs: integer(env, POD_ENV.drainTimeoutMs, DEFAULT_DRAIN_TIMEOUT_MS, 0),
    heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
    healthPort: integer(env, POD_ENV.healthPort, DEFAULT_HEALTH_PORT, 0),
    logLevel,
    stallLimitMs: integer(env, POD_ENV.stallLimitMs, DEFAULT_STALL_LIMIT_MS, 100),
    kvReplicas: integer(env, POD_ENV.kvReplicas, 1, 1),
  });
}
