/**
 * What every component's loadConfig must make of the variables in
 * shared-env.ts: the same values and the same refusals. The loaders' tests
 * (runtime pod, controller, gateway) run these cases against their own
 * loadConfig. Used by tests only.
 */
import { SHARED_ENV } from './shared-env.ts';

export interface SharedConfig {
  natsServers: readonly string[];
  natsToken: string | undefined;
  logLevel: string;
  kvReplicas: number;
}

export const SHARED_DEFAULTS: SharedConfig = { natsServers: ['nats://127.0.0.1:4222'], natsToken: undefined, logLevel: 'info', kvReplicas: 1 };

/** Environments and the configuration they give. */
export const SHARED_READS: [string, Record<string, string>, Partial<SharedConfig>][] = [
  ['nothing set: the defaults', {}, SHARED_DEFAULTS],
  ['blank values: the defaults', { [SHARED_ENV.natsUrl]: ' ', [SHARED_ENV.logLevel]: '', [SHARED_ENV.kvReplicas]: '' }, SHARED_DEFAULTS],
  ['several NATS URLs', { [SHARED_ENV.natsUrl]: 'nats://a:4222, nats://b:4222' }, { natsServers: ['nats://a:4222', 'nats://b:4222'] }],
  ['a NATS token, as it is', { [SHARED_ENV.natsToken]: ' s3cret' }, { natsToken: ' s3cret' }],
  ['a log level', { [SHARED_ENV.logLevel]: 'debug ' }, { logLevel: 'debug' }],
  ['three KV replicas', { [SHARED_ENV.kvReplicas]: '3' }, { kvReplicas: 3 }],
  ['five KV replicas', { [SHARED_ENV.kvReplicas]: '5' }, { kvReplicas: 5 }],
];

/** Values every loader refuses, naming the variable. */
export const SHARED_REFUSALS: [string, string][] = [
  [SHARED_ENV.natsUrl, ' , '],
  [SHARED_ENV.logLevel, 'loud'],
  [SHARED_ENV.kvReplicas, 'two'],
  [SHARED_ENV.kvReplicas, '2'],
  [SHARED_ENV.kvReplicas, '0'],
  [SHARED_ENV.kvReplicas, '1.5'],
];
