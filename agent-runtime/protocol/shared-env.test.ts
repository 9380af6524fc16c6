import { describe, expect, it } from 'vitest';
import { ColonyError } from './errors.ts';
import { ConfigError, readKvReplicas, readLogLevel, readNamespace, readNatsServers, readNatsToken, readPort, SHARED_ENV } from './shared-env.ts';

describe('the shared environment', () => {
  it('reads NATS servers as a frozen list, the default when unset', () => {
    expect(readNatsServers({})).toEqual(['nats://127.0.0.1:4222']);
    const servers = readNatsServers({ [SHARED_ENV.natsUrl]: 'nats://a:4222,,nats://b:4222 ' });
    expect(servers).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(Object.isFrozen(servers)).toBe(true);
  });

  it('keeps a NATS token as it is, and treats an empty one as none', () => {
    expect(readNatsToken({ [SHARED_ENV.natsToken]: 'a b ' })).toBe('a b ');
    expect(readNatsToken({ [SHARED_ENV.natsToken]: '' })).toBeUndefined();
  });

  it('reads a namespace from the variable it is given, with its default', () => {
    expect(readNamespace({})).toBe('default');
    expect(readNamespace({ [SHARED_ENV.namespace]: ' team-a ' })).toBe('team-a');
    expect(readNamespace({ OTHER: 'colony-system' }, 'OTHER', 'x')).toBe('colony-system');
    expect(readNamespace({}, 'OTHER', 'colony-system')).toBe('colony-system');
    expect(() => readNamespace({ OTHER: 'Not_A_Label' }, 'OTHER')).toThrow('OTHER is "Not_A_Label"; a namespace is a DNS label');
  });

  it('takes 1, 3 or 5 KV replicas, 1 when unset', () => {
    expect([undefined, '1', '3', '5'].map((value) => readKvReplicas({ [SHARED_ENV.kvReplicas]: value }))).toEqual([1, 1, 3, 5]);
    expect(() => readKvReplicas({ [SHARED_ENV.kvReplicas]: '2' })).toThrow('COLONY_KV_REPLICAS is "2"; give the JetStream replicas of the KV buckets: 1, 3, 5');
  });

  it('reads log levels and ports', () => {
    expect(readLogLevel({ [SHARED_ENV.logLevel]: 'warn' })).toBe('warn');
    expect(readPort({ PORT: '0' }, 'PORT', 80)).toBe(0);
    expect(readPort({}, 'PORT', 80)).toBe(80);
    for (const wrong of ['-1', '65536', 'http', '80.5']) expect(() => readPort({ PORT: wrong }, 'PORT', 80)).toThrow(`PORT is "${wrong}"`);
  });

  it('refuses with a ConfigError: invalid_argument, not retryable, naming the variable', () => {
    let error: unknown;
    try {
      readLogLevel({ [SHARED_ENV.logLevel]: 'loud' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(ColonyError);
    expect(error).toMatchObject({ code: 'invalid_argument', retryable: false, variable: 'COLONY_LOG_LEVEL', message: 'COLONY_LOG_LEVEL is "loud"; use one of debug, info, warn, error' });
  });
});
