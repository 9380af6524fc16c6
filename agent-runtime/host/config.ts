import type { LogLevel } from '../observability/log.ts';
import { DEFAULT_PARTITIONS, isDnsLabel } from '../protocol/limits.ts';
import { DURABILITY_MODES, POD_ENV } from '../protocol/pod-env.ts';
import type { Durability } from '../protocol/pod-env.ts';
import { ConfigError, envText, readKvReplicas, readLogLevel, readNamespace, readNatsServers, readNatsToken, readPort } from '../protocol/shared-env.ts';
import type { Env } from '../protocol/shared-env.ts';

export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
/** Workflows: a finished instance is kept this long, then purged (spec.retention). */
export const DEFAULT_RETENTION_MS = 7 * 24 * 3_600_000;
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
  natsServers: readonly string[];
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
  /** Workflows: how long a finished instance is kept. */
  retentionMs: number;
  /** Subscriptions from the manifest (COLONY_SUBSCRIPTIONS), checked against the module's methods when it is loaded. */
  subscriptions: unknown[];
  heartbeatIntervalMs: number;
  /** Port of /healthz and /readyz; 0 picks a free one. */
  healthPort: number;
  logLevel: LogLevel;
  stallLimitMs: number;
  kvReplicas: number;
  /** Where the watchdog leaves why it killed the pod (POD_ENV.terminationLog), if anywhere. */
  terminationLog: string | undefined;
}

function required(env: Env, name: string, what: string): string {
  const value = envText(env, name);
  if (value === undefined) throw new ConfigError(name, undefined, `the controller sets it to ${what}; a runtime pod cannot start without it`);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number): number {
  const text = envText(env, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new ConfigError(name, text, `give an integer ≥ ${min}`);
  return value;
}

function jsonList(env: Env, name: string): unknown[] {
  const text = envText(env, name);
  if (text === undefined) return [];
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value)) return value;
  } catch {
    // Reported below.
  }
  throw new ConfigError(name, text, 'a JSON list is expected (the controller writes it from spec.subscriptions)');
}

/** Reads a runtime pod's configuration from `env`, once, at the entry. Throws a ConfigError naming the variable that is wrong. */
export function loadConfig(env: Env): Readonly<HostConfig> {
  const agent = required(env, POD_ENV.agent, "the Agent's name");
  if (!isDnsLabel(agent)) throw new ConfigError(POD_ENV.agent, agent, 'an Agent name is a DNS label: lower-case letters, digits and "-", at most 63');
  const durability = envText(env, POD_ENV.durability) ?? 'turn';
  if (!(DURABILITY_MODES as readonly string[]).includes(durability)) throw new ConfigError(POD_ENV.durability, durability, `use one of ${DURABILITY_MODES.join(', ')}`);
  return Object.freeze({
    natsServers: readNatsServers(env),
    natsToken: readNatsToken(env),
    namespace: readNamespace(env),
    agent,
    podId: required(env, POD_ENV.podId, "the pod's name"),
    modulePath: required(env, POD_ENV.module, "the path of the Agent's module"),
    exportName: envText(env, POD_ENV.exportName),
    partitions: integer(env, POD_ENV.partitions, DEFAULT_PARTITIONS, 1),
    durability: durability as Durability,
    idleTimeoutMs: integer(env, POD_ENV.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS, 1),
    drainTimeoutMs: integer(env, POD_ENV.drainTimeoutMs, DEFAULT_DRAIN_TIMEOUT_MS, 0),
    retentionMs: integer(env, POD_ENV.retentionMs, DEFAULT_RETENTION_MS, 1),
    subscriptions: jsonList(env, POD_ENV.subscriptions),
    heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
    healthPort: readPort(env, POD_ENV.healthPort, DEFAULT_HEALTH_PORT),
    logLevel: readLogLevel(env),
    stallLimitMs: integer(env, POD_ENV.stallLimitMs, DEFAULT_STALL_LIMIT_MS, 100),
    kvReplicas: readKvReplicas(env),
    terminationLog: envText(env, POD_ENV.terminationLog),
  });
}
