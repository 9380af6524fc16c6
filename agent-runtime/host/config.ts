import type { LogLevel } from '../observability/log.ts';
import { DEFAULT_PARTITIONS, isDnsLabel } from '../protocol/limits.ts';
import { DURABILITY_MODES, POD_ENV } from '../protocol/pod-env.ts';
import type { Durability, GroupMemberEnv } from '../protocol/pod-env.ts';
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

/** One Agent a pod hosts: its module and the settings that are its own in a placement group. */
export interface HostedAgentConfig {
  name: string;
  modulePath: string;
  exportName: string | undefined;
  durability: Durability;
  idleTimeoutMs: number;
  /** Workflows: how long a finished instance is kept. */
  retentionMs: number;
  /** Subscriptions from the manifest, checked against the module's methods when it is loaded. */
  subscriptions: unknown[];
  /** The placement key is the instance key up to the first of these (spec.placement.keyDelimiter); undefined: the whole key. */
  keyDelimiter: string | undefined;
}

/** Everything a runtime pod needs to know, read once from its environment. */
export interface HostConfig {
  natsServers: readonly string[];
  /** The token NATS requires, if it requires one. */
  natsToken: string | undefined;
  namespace: string;
  /**
   * What the pod is placed as — the placement group's name, or the Agent's when
   * it has no group: its heartbeats, placement table and pods go by this name.
   */
  unit: string;
  /** The placement group, when the pod hosts one (several Agents, one placement). */
  group: string | undefined;
  /** The Agents this pod hosts: one, or every member of its group. */
  agents: readonly HostedAgentConfig[];
  podId: string;
  /** Partitions of the unit (every member of a group has the group's). */
  partitions: number;
  drainTimeoutMs: number;
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

function durabilityOf(name: string, value: string | undefined): Durability {
  const durability = value ?? 'turn';
  if (!(DURABILITY_MODES as readonly string[]).includes(durability)) throw new ConfigError(name, durability, `use one of ${DURABILITY_MODES.join(', ')}`);
  return durability as Durability;
}

function agentName(name: string, value: string): string {
  if (!isDnsLabel(value)) throw new ConfigError(name, value, 'an Agent name is a DNS label: lower-case letters, digits and "-", at most 63');
  return value;
}

/** The one Agent of a pod that hosts no group, from its own variables. */
function soleAgent(env: Env): HostedAgentConfig {
  return {
    name: agentName(POD_ENV.agent, required(env, POD_ENV.agent, "the Agent's name")),
    modulePath: required(env, POD_ENV.module, "the path of the Agent's module"),
    exportName: envText(env, POD_ENV.exportName),
    durability: durabilityOf(POD_ENV.durability, envText(env, POD_ENV.durability)),
    idleTimeoutMs: integer(env, POD_ENV.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS, 1),
    retentionMs: integer(env, POD_ENV.retentionMs, DEFAULT_RETENTION_MS, 1),
    subscriptions: jsonList(env, POD_ENV.subscriptions),
    keyDelimiter: envText(env, POD_ENV.keyDelimiter),
  };
}

/** The members of a placement group (POD_ENV.groupAgents, a JSON list the controller writes: GroupMemberEnv). */
function groupAgents(env: Env): HostedAgentConfig[] {
  const name = POD_ENV.groupAgents;
  const text = required(env, name, "the group's Agents as JSON");
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    throw new ConfigError(name, text, 'a JSON list of the group\'s Agents is expected');
  }
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError(name, text, 'a non-empty JSON list of the group\'s Agents is expected');
  const agents = list.map((item: Partial<GroupMemberEnv> | null, i): HostedAgentConfig => {
    const where = `${name}[${i}]`;
    if (typeof item !== 'object' || item === null || typeof item.name !== 'string' || typeof item.module !== 'string') {
      throw new ConfigError(where, JSON.stringify(item), 'each member needs "name" and "module" strings');
    }
    const number = (field: 'idleTimeoutMs' | 'retentionMs', fallback: number): number => {
      const value = item[field];
      if (value === undefined) return fallback;
      if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${where}.${field}`, String(value), 'give an integer ≥ 1');
      return value;
    };
    if (item.subscriptions !== undefined && !Array.isArray(item.subscriptions)) throw new ConfigError(`${where}.subscriptions`, JSON.stringify(item.subscriptions), 'a JSON list is expected');
    return {
      name: agentName(`${where}.name`, item.name),
      modulePath: item.module,
      exportName: item.exportName,
      durability: durabilityOf(`${where}.durability`, item.durability),
      idleTimeoutMs: number('idleTimeoutMs', DEFAULT_IDLE_TIMEOUT_MS),
      retentionMs: number('retentionMs', DEFAULT_RETENTION_MS),
      subscriptions: item.subscriptions ?? [],
      keyDelimiter: item.keyDelimiter || undefined,
    };
  });
  const names = agents.map((a) => a.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new ConfigError(name, text, `Agent "${twice}" is listed twice`);
  return agents;
}

/** Reads a runtime pod's configuration from `env`, once, at the entry. Throws a ConfigError naming the variable that is wrong. */
export function loadConfig(env: Env): Readonly<HostConfig> {
  const groupText = envText(env, POD_ENV.group);
  const group = groupText === undefined ? undefined : agentName(POD_ENV.group, groupText);
  const agents = group === undefined ? [soleAgent(env)] : groupAgents(env);
  return Object.freeze({
    natsServers: readNatsServers(env),
    natsToken: readNatsToken(env),
    namespace: readNamespace(env),
    unit: group ?? (agents[0] as HostedAgentConfig).name,
    group,
    agents: Object.freeze(agents.map((a) => Object.freeze(a))),
    podId: required(env, POD_ENV.podId, "the pod's name"),
    partitions: integer(env, POD_ENV.partitions, DEFAULT_PARTITIONS, 1),
    drainTimeoutMs: integer(env, POD_ENV.drainTimeoutMs, DEFAULT_DRAIN_TIMEOUT_MS, 0),
    heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
    healthPort: readPort(env, POD_ENV.healthPort, DEFAULT_HEALTH_PORT),
    logLevel: readLogLevel(env),
    stallLimitMs: integer(env, POD_ENV.stallLimitMs, DEFAULT_STALL_LIMIT_MS, 100),
    kvReplicas: readKvReplicas(env),
    terminationLog: envText(env, POD_ENV.terminationLog),
  });
}
