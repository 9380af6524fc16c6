import { describe, expect, it } from 'vitest';
import { POD_ENV } from '../protocol/pod-env.ts';
import { SHARED_READS, SHARED_REFUSALS } from '../protocol/shared-env-cases.ts';
import { ConfigError } from '../protocol/shared-env.ts';
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_RETENTION_MS, DEFAULT_HEALTH_PORT, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_STALL_LIMIT_MS, loadConfig } from './config.ts';

/** A hosted Agent's settings when its manifest sets none of them. */
const AGENT_DEFAULTS = {
  exportName: undefined,
  durability: 'turn',
  idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
  retentionMs: DEFAULT_RETENTION_MS,
  subscriptions: [],
  keyDelimiter: undefined,
};

/** What every controller sets for a pod. */
const POD = { [POD_ENV.agent]: 'counter', [POD_ENV.podId]: 'counter-1', [POD_ENV.module]: '/app/counter.ts' };

describe('the runtime pod loadConfig', () => {
  it('needs the Agent, the pod and the module; has defaults for the rest', () => {
    expect(loadConfig(POD)).toEqual({
      natsServers: ['nats://127.0.0.1:4222'],
      natsToken: undefined,
      namespace: 'default',
      unit: 'counter',
      group: undefined,
      agents: [{ name: 'counter', modulePath: '/app/counter.ts', ...AGENT_DEFAULTS }],
      podId: 'counter-1',
      partitions: 64,
      drainTimeoutMs: DEFAULT_DRAIN_TIMEOUT_MS,
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
    expect(config).toMatchObject({ namespace: 'team-a', partitions: 8, drainTimeoutMs: 0, healthPort: 0 });
    expect(config.agents[0]).toMatchObject({ exportName: 'counter', durability: 'async', idleTimeoutMs: 1_000 });
  });

  it('reads the manifest subscriptions as JSON, and refuses what is not a JSON list', () => {
    const base = { COLONY_AGENT: 'loyalty', COLONY_POD_ID: 'p', COLONY_AGENT_MODULE: '/m.ts' };
    expect(loadConfig({ ...base, COLONY_SUBSCRIPTIONS: '[{"topic":"orders","method":"onOrder","key":"customer","maxAttempts":5}]' }).agents[0]?.subscriptions).toEqual([
      { topic: 'orders', method: 'onOrder', key: 'customer', maxAttempts: 5 },
    ]);
    expect(() => loadConfig({ ...base, COLONY_SUBSCRIPTIONS: '{"topic":"orders"}' })).toThrow(/COLONY_SUBSCRIPTIONS.*JSON list/);
  });

  describe('a pod of a placement group', () => {
    const GROUP = {
      [POD_ENV.podId]: 'shop-1',
      [POD_ENV.group]: 'shop',
      [POD_ENV.groupAgents]: JSON.stringify([
        { name: 'customer', module: '/app/customer.ts' },
        { name: 'order', module: '/app/order.ts', exportName: 'order', durability: 'async', idleTimeoutMs: 500, keyDelimiter: ':', subscriptions: [{ topic: 't' }] },
      ]),
    };

    it('hosts every member, each with its own settings, placed as the group', () => {
      const config = loadConfig(GROUP);
      expect(config).toMatchObject({ unit: 'shop', group: 'shop', podId: 'shop-1', partitions: 64 });
      expect(config.agents.map((a) => a.name)).toEqual(['customer', 'order']);
      expect(config.agents[0]).toEqual({ name: 'customer', modulePath: '/app/customer.ts', ...AGENT_DEFAULTS });
      expect(config.agents[1]).toMatchObject({ exportName: 'order', durability: 'async', idleTimeoutMs: 500, keyDelimiter: ':', subscriptions: [{ topic: 't' }] });
    });

    it.each([
      ['not JSON', '{', /COLONY_GROUP_AGENTS.*JSON list/],
      ['an empty list', '[]', /non-empty JSON list/],
      ['a member without a module', '[{"name":"a"}]', /COLONY_GROUP_AGENTS\[0\].*"name" and "module"/],
      ['a bad name', '[{"name":"A","module":"/m.ts"}]', /COLONY_GROUP_AGENTS\[0\]\.name.*DNS label/],
      ['a bad durability', '[{"name":"a","module":"/m.ts","durability":"never"}]', /COLONY_GROUP_AGENTS\[0\]\.durability.*turn, async, none/],
      ['a bad idle timeout', '[{"name":"a","module":"/m.ts","idleTimeoutMs":0}]', /COLONY_GROUP_AGENTS\[0\]\.idleTimeoutMs/],
      ['an Agent twice', '[{"name":"a","module":"/m.ts"},{"name":"a","module":"/n.ts"}]', /"a" is listed twice/],
    ])('refuses %s, naming what is wrong', (_, agents, message) => {
      expect(() => loadConfig({ ...GROUP, [POD_ENV.groupAgents]: agents })).toThrow(ConfigError);
      expect(() => loadConfig({ ...GROUP, [POD_ENV.groupAgents]: agents })).toThrow(message);
    });

    it('refuses a group without its members', () => {
      expect(() => loadConfig({ [POD_ENV.podId]: 'p', [POD_ENV.group]: 'shop' })).toThrow(/COLONY_GROUP_AGENTS is not set/);
    });
  });
});
