import { describe, expect, it } from 'vitest';
import { SHARED_READS, SHARED_REFUSALS } from '../agent-runtime/protocol/shared-env-cases.ts';
import { ConfigError } from '../agent-runtime/protocol/shared-env.ts';
import { ApiTokens } from './auth.ts';
import { DEFAULT_GATEWAY_PORT, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has defaults for everything', () => {
    expect(loadConfig({})).toEqual({
      natsServers: ['nats://127.0.0.1:4222'],
      natsToken: undefined,
      namespace: 'default',
      host: '0.0.0.0',
      port: DEFAULT_GATEWAY_PORT,
      logLevel: 'info',
      kvReplicas: 1,
    });
  });

  it('reads the environment and freezes the result', () => {
    const config = loadConfig({
      COLONY_NATS_URL: 'nats://a:4222, nats://b:4222',
      COLONY_NAMESPACE: 'team-a',
      COLONY_GATEWAY_HOST: '127.0.0.1',
      COLONY_GATEWAY_PORT: '9000',
      COLONY_LOG_LEVEL: 'debug',
      COLONY_KV_REPLICAS: '3',
      COLONY_NATS_TOKEN: 's3cret',
    });
    expect(config).toEqual({
      natsServers: ['nats://a:4222', 'nats://b:4222'],
      natsToken: 's3cret',
      namespace: 'team-a',
      host: '127.0.0.1',
      port: 9000,
      logLevel: 'debug',
      kvReplicas: 3,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.natsServers)).toBe(true);
  });

  it.each(SHARED_READS)('reads the shared environment as every component does: %s', (_, env, expected) => {
    expect(loadConfig(env)).toMatchObject(expected);
  });

  it.each([...SHARED_REFUSALS, ['COLONY_GATEWAY_PORT', 'http'], ['COLONY_GATEWAY_PORT', '70000'], ['COLONY_GATEWAY_PORT', '-1'], ['COLONY_NAMESPACE', 'Not_A_Label']])(
    'refuses %s=%j with a ConfigError naming it',
    (name, value) => {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: value })).toThrow(name);
    },
  );

  it('reads API tokens from COLONY_API_TOKENS, and refuses a short one naming the variable', () => {
    expect(loadConfig({}).apiTokens).toBeUndefined();
    expect(loadConfig({ COLONY_API_TOKENS: 'a-token-of-enough-length' }).apiTokens).toBeInstanceOf(ApiTokens);
    expect(() => loadConfig({ COLONY_API_TOKENS: 'short' })).toThrow(/COLONY_API_TOKENS: token 1 has 5 characters/);
  });
});
