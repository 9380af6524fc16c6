import { describe, expect, it } from 'vitest';
import { POD_ENV } from '../protocol/pod-env.ts';
import { SHARED_READS, SHARED_REFUSALS } from '../protocol/shared-env-cases.ts';
import { ConfigError } from '../protocol/shared-env.ts';
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_RETENTION_MS, DEFAULT_HEALTH_PORT, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_STALL_LIMIT_MS, loadConfig } from './config.ts';

/** What every controller sets for a pod. */
const POD = { [POD_ENV.agent]: 'counter', [POD_ENV.podId]: 'counter-1', [POD_ENV.module]: '/app/counter.ts' };

describe('the runtime pod loadConfig', () => {
  it('needs the Agent, the pod and the module; has defaults for the rest', () => {
    expect(loadConfig(POD)).toEqual({
      natsServers: ['nats://127.0.0.1:4222'],
      natsToken: undefined,
      namespace: 'default',
      agent: 'counter',
      podId: 'counter-1',
      modulePath: '/app/counter.ts',
      exportName: undefined,
      partitions: 64,
      durability: 'turn',
      idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
      drainTimeoutMs: DEFAULT_DRAIN_TIMEOUT_MS,
      retentionMs: DEFAULT_RETENTION_MS,
      subscriptions: [],
      heartbeatIntervalMs: 1_000,
      healthPort: DEFAULT_HEALTH_PORT,
      logLevel: 'info',
      stallLimitMs: DEFAULT_STALL_LIMIT_MS,
      kvReplicas: 1,
    });
    expect(Object.isFrozen(loadConfig(POD))).toBe(true);
  });

  it.each([POD_ENV.agent, POD_ENV.podId, POD_ENV.module])('refuses to start without %s', (name) => {
    expect(() => loadConfig({ ...POD, [name]: '' })).toThrow(new RegExp(`^${name} is not set; the controller sets it`));
  });

  it.each(SHARED_READS)('reads the shared environment as every component does: %s', (_, env, expected) => {
    expect(loadConfig({ ...POD, ...env })).toMatchObject(expected);
  });

  it.each([...SHARED_REFUSALS, [POD_ENV.namespace, 'Not_A_Label'], [POD_ENV.agent, 'Counter'], [POD_ENV.healthPort, '70000'], [POD_ENV.durability, 'never'], [POD_ENV.partitions, '0'], [POD_ENV.stallLimitMs, '10']])(
    'refuses %s=%j with a ConfigError naming it',
    (name, value) => {
      expect(() => loadConfig({ ...POD, [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ ...POD, [name]: value })).toThrow(name);
    },
  );

  it('reads what the drivers set', () => {
    const config = loadConfig({
      ...POD,
      [POD_ENV.namespace]: 'team-a',
      [POD_ENV.exportName]: 'counter',
      [POD_ENV.partitions]: '8',
      [POD_ENV.durability]: 'async',
      [POD_ENV.idleTimeoutMs]: '1000',
      [POD_ENV.drainTimeoutMs]: '0',
      [POD_ENV.healthPort]: '0',
    });
    expect(config).toMatchObject({ namespace: 'team-a', exportName: 'counter', partitions: 8, durability: 'async', idleTimeoutMs: 1_000, drainTimeoutMs: 0, healthPort: 0 });
  });

  it('reads the manifest subscriptions as JSON, and refuses what is not a JSON list', () => {
    const base = { COLONY_AGENT: 'loyalty', COLONY_POD_ID: 'p', COLONY_AGENT_MODULE: '/m.ts' };
    expect(loadConfig({ ...base, COLONY_SUBSCRIPTIONS: '[{"topic":"orders","method":"onOrder","key":"customer","maxAttempts":5}]' }).subscriptions).toEqual([
      { topic: 'orders', method: 'onOrder', key: 'customer', maxAttempts: 5 },
    ]);
    expect(() => loadConfig({ ...base, COLONY_SUBSCRIPTIONS: '{"topic":"orders"}' })).toThrow(/COLONY_SUBSCRIPTIONS.*JSON list/);
  });
});
