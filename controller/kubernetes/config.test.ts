import { describe, expect, it } from 'vitest';
import { SHARED_READS, SHARED_REFUSALS } from '../../agent-runtime/protocol/shared-env-cases.ts';
import { ConfigError } from '../../agent-runtime/protocol/shared-env.ts';
import { CONTROLLER_ENV, DEFAULT_RUNTIME_IMAGE, loadConfig } from './config.ts';

describe('the controller loadConfig', () => {
  it('has defaults for everything', () => {
    const config = loadConfig({ [CONTROLLER_ENV.podName]: 'colony-controller-0' });
    expect(config).toEqual({
      natsServers: ['nats://127.0.0.1:4222'],
      natsToken: undefined,
      runtimeImage: DEFAULT_RUNTIME_IMAGE,
      watchNamespaces: [],
      leaseNamespace: 'colony-system',
      leaseName: 'colony-controller',
      identity: 'colony-controller-0',
      healthPort: 8080,
      logLevel: 'info',
      kvReplicas: 1,
      runtimeImagePullPolicy: undefined,
      runtimeImagePullSecrets: [],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads what the chart sets', () => {
    const config = loadConfig({
      COLONY_NATS_URL: 'nats://colony-nats:4222',
      COLONY_NATS_TOKEN: 's3cret',
      COLONY_RUNTIME_IMAGE: 'registry.example/runtime:1',
      COLONY_WATCH_NAMESPACES: 'team-a, team-b',
      COLONY_LEASE_NAMESPACE: 'colony',
      COLONY_POD_NAME: 'colony-controller-abc',
      COLONY_LOG_LEVEL: 'warn',
      COLONY_HEALTH_PORT: '9090',
      COLONY_KV_REPLICAS: '3',
      COLONY_RUNTIME_IMAGE_PULL_POLICY: 'Always',
      COLONY_RUNTIME_IMAGE_PULL_SECRETS: 'regcred,other',
    });
    expect(config).toMatchObject({
      natsServers: ['nats://colony-nats:4222'],
      natsToken: 's3cret',
      runtimeImage: 'registry.example/runtime:1',
      watchNamespaces: ['team-a', 'team-b'],
      leaseNamespace: 'colony',
      identity: 'colony-controller-abc',
      logLevel: 'warn',
      healthPort: 9090,
      kvReplicas: 3,
      runtimeImagePullPolicy: 'Always',
      runtimeImagePullSecrets: ['regcred', 'other'],
    });
  });

  it.each(SHARED_READS)('reads the shared environment as every component does: %s', (_, env, expected) => {
    expect(loadConfig(env)).toMatchObject(expected);
  });

  it.each([...SHARED_REFUSALS, [CONTROLLER_ENV.healthPort, '70000'], [CONTROLLER_ENV.watchNamespaces, 'team-a,Team_B'], [CONTROLLER_ENV.leaseNamespace, 'Colony System']])(
    'refuses %s=%j with a ConfigError naming it',
    (name, value) => {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: value })).toThrow(name);
    },
  );
});
