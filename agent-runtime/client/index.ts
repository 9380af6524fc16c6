/** Calling instances over NATS, for the gateway, the controller and the runtime. */
export { ColonyClient, INITIAL_RETRY_DELAY_MS, MAX_RETRY_DELAY_MS } from './client.ts';
export type { CallRequest, CallResult, ClientOptions, PartitionSource } from './client.ts';
export { RegistryView } from './registry-view.ts';
export type { RegistryAgent } from './registry-view.ts';
export { isNoResponders, isTimeout } from './nats-errors.ts';
export { openBuckets } from './buckets.ts';
export type { Buckets } from './buckets.ts';
