/**
 * `colony/client`: a typed client of the gateway's HTTP API for code outside
 * agents, in Node and in browsers (it uses only fetch).
 *
 *     import { createClient } from 'colony/client';
 *     import type { counter } from './counter/counter.ts';
 *
 *     const colony = createClient({ url: 'http://localhost:8080' });
 *     await colony.agent<typeof counter>('counter', 'alice').increment({ by: 2 });
 */
export { createClient } from './client.ts';
export type { ColonyHttpClient } from './client.ts';
export { ColonyHttpError } from './errors.ts';
export type { ColonyHttpErrorOptions } from './errors.ts';
export { ColonyError } from '../protocol/errors.ts';
export type { ErrorCode } from '../protocol/errors.ts';
export type { ClientOptions, HttpCallOptions } from './transport.ts';
export type { StreamClient, WorkflowClient, WorkflowInputOf, WorkflowOutputOf, WorkflowVerbReply } from './types.ts';
export type { WorkflowStatus, WorkflowView } from '../protocol/workflow.ts';
export type { CallClient } from '../sdk/types.ts';
