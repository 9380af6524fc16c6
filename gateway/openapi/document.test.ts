import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import type { RegistryAgent } from '../../agent-runtime/client/registry-view.ts';
import { ERROR_CODES } from '../../agent-runtime/protocol/errors.ts';
import type { AgentApiRecord } from '../../agent-runtime/protocol/registry.ts';
import { openApiDocument } from './document.ts';
import type { OpenApiOptions } from './document.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- reading into a document.

function agent(name: string, api?: Omit<AgentApiRecord, 'namespace' | 'name' | 'updatedAt'>, group?: string): RegistryAgent {
  return {
    spec: { namespace: 'default', name, partitions: 8, minReplicas: 0, maxReplicas: 4, updatedAt: 1, ...(group ? { group } : {}) },
    api: api ? { namespace: 'default', name, updatedAt: 1, ...api } : undefined,
  };
}

const COUNT = { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] };
const BUY = {
  type: 'object',
  definitions: { amount: { type: 'integer', minimum: 1 } },
  properties: { amount: { $ref: '#/definitions/amount' }, items: { type: 'array', items: { $ref: '#' } } },
  required: ['amount'],
};

const AGENTS: RegistryAgent[] = [
  agent('counter', { kind: 'agent', methods: { increment: { input: { type: 'object', properties: { by: { type: 'integer' } } }, output: COUNT }, get: { output: COUNT }, reset: {} } }),
  agent('shop', { kind: 'agent', methods: { buy: { input: BUY } }, subscriptions: [{ topic: 'orders', method: 'buy' }] }, 'store'),
  agent('approval', { kind: 'workflow', methods: {}, activities: ['notify'] }),
  agent('cold'),
];

const OPEN: OpenApiOptions = { namespace: 'default', authRequired: false, workflows: true, topics: true };

async function validate(document: Json): Promise<void> {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(document)); // resolveRefs replaces references in place
  expect(result.errors ?? []).toEqual([]);
  expect(result.valid).toBe(true);
  expect(validator.version).toBe('3.1');
  // Every $ref resolves (resolveRefs throws on one that does not).
  validator.resolveRefs();
}

describe('the gateway’s OpenAPI document', () => {
  it('is valid OpenAPI 3.1, open and with API tokens, with and without workflows and topics', async () => {
    await validate(openApiDocument(AGENTS, OPEN));
    await validate(openApiDocument(AGENTS, { ...OPEN, authRequired: true }));
    await validate(openApiDocument(AGENTS, { ...OPEN, workflows: false, topics: false }));
    await validate(openApiDocument([], OPEN));
  });

  it('describes the admin routes of instances, for the Agents that are not workflows, when the gateway serves them', async () => {
    const document = openApiDocument(AGENTS, { ...OPEN, instances: true }) as Json;
    await validate(document);
    await validate(openApiDocument(AGENTS, { ...OPEN, instances: true, authRequired: true }));
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/agents/{agent}/instances', '/v1/agents/{agent}/{key}/state', '/v1/agents/{agent}/{key}/reminders', '/v1/agents/{agent}/{key}/reminders/{name}']),
    );
    const state = document.paths['/v1/agents/{agent}/{key}/state'];
    expect(Object.keys(state)).toEqual(['get', 'put', 'delete']);
    expect(state.get.parameters[0].schema.enum).toEqual(['counter', 'shop', 'cold']);
    expect(state.put.parameters).toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
    expect(Object.keys(openApiDocument(AGENTS, OPEN).paths as Json)).not.toContain('/v1/agents/{agent}/instances');
  });

  it('has a path per method of each Agent, with its input schema as the body and its output schema as the 200', () => {
    const document = openApiDocument(AGENTS, OPEN) as Json;
    const increment = document.paths['/v1/agents/counter/{key}/increment'].post;
    expect(increment.operationId).toBe('counter.increment');
    expect(increment.parameters[0]).toEqual({ $ref: '#/components/parameters/Key' });
    expect(increment.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/counter.increment.input' });
    expect(document.components.schemas['counter.increment.input']).toEqual({ type: 'object', properties: { by: { type: 'integer' } } });
    expect(increment.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/counter.increment.output' });
    expect(document.components.schemas['counter.increment.output']).toEqual(COUNT);
    expect(Object.keys(increment.responses['200'].content)).toEqual(['application/json', 'text/event-stream']);
    // Without declared schemas: any JSON in, any JSON out.
    const reset = document.paths['/v1/agents/counter/{key}/reset'].post;
    expect(reset.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/AnyJson' });
    expect(reset.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/AnyJson' });
    const headers = increment.parameters.map((parameter: Json) => parameter.$ref);
    expect(headers).toEqual(['#/components/parameters/Key', '#/components/parameters/Timeout', '#/components/parameters/IdempotencyKey', '#/components/parameters/Traceparent']);
    expect(document.components.parameters.Timeout).toMatchObject({ name: 'x-colony-timeout', in: 'header' });
    expect(document.components.parameters.IdempotencyKey).toMatchObject({ name: 'idempotency-key', in: 'header' });
  });

  it('points an agent schema’s references to its own root at its place in the document', () => {
    const document = openApiDocument(AGENTS, OPEN) as Json;
    const buy = document.components.schemas['shop.buy.input'];
    expect(buy.properties.amount).toEqual({ $ref: '#/components/schemas/shop.buy.input/definitions/amount' });
    expect(buy.properties.items.items).toEqual({ $ref: '#/components/schemas/shop.buy.input' });
  });

  it('answers errors in one shape, a response per status of the error table', () => {
    const document = openApiDocument(AGENTS, OPEN) as Json;
    expect(document.components.schemas.ErrorBody.properties.code.enum).toEqual(Object.keys(ERROR_CODES));
    const statuses = new Set(Object.values(ERROR_CODES).map(({ status }) => status));
    statuses.delete(ERROR_CODES.cancelled.status); // only ever the end of a stream whose client left
    expect(Object.keys(document.components.responses).sort()).toEqual(['Error', ...[...statuses].map((status) => `Error${status}`)].sort());
    expect(document.components.responses.Error409.description).toContain('`aborted`');
    expect(document.components.responses.Error401.content['application/json'].example.error.code).toBe('unauthenticated');
    expect(document.components.responses.Error503.headers['Retry-After']).toEqual({ $ref: '#/components/headers/RetryAfter' });
    const responses = document.paths['/v1/agents/counter/{key}/increment'].post.responses;
    for (const status of [400, 404, 409, 413, 422, 429, 500, 502, 503, 504, 507]) expect(responses[String(status)]).toEqual({ $ref: `#/components/responses/Error${status}` });
    expect(responses.default).toEqual({ $ref: '#/components/responses/Error' });
  });

  it('asks for the bearer token everywhere but health when the gateway has API tokens', () => {
    const open = openApiDocument(AGENTS, OPEN) as Json;
    expect(open.security).toBeUndefined();
    expect(open.components.securitySchemes).toBeUndefined();
    expect(open.paths['/v1/agents'].get.responses['401']).toBeUndefined();
    const locked = openApiDocument(AGENTS, { ...OPEN, authRequired: true }) as Json;
    expect(locked.security).toEqual([{ bearerToken: [] }]);
    expect(locked.components.securitySchemes.bearerToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(locked.paths['/v1/agents'].get.responses['401']).toEqual({ $ref: '#/components/responses/Error401' });
    expect(locked.paths['/healthz'].get.security).toEqual([]);
  });

  it('has the workflow routes of each workflow, the generic route for Agents not published yet, the registry and topics', () => {
    const document = openApiDocument(AGENTS, OPEN) as Json;
    const paths = Object.keys(document.paths);
    expect(paths.filter((path) => path.startsWith('/v1/workflows/'))).toEqual([
      '/v1/workflows/approval',
      '/v1/workflows/approval/{id}',
      '/v1/workflows/approval/{id}/history',
      '/v1/workflows/approval/{id}/events/{name}',
      '/v1/workflows/approval/{id}/terminate',
      '/v1/workflows/approval/{id}/suspend',
      '/v1/workflows/approval/{id}/resume',
    ]);
    expect(Object.keys(document.paths['/v1/workflows/approval/{id}'])).toEqual(['post', 'get', 'delete']);
    expect(document.paths['/v1/workflows/approval/{id}'].post.responses['202'].headers.Location).toBeDefined();
    expect(paths.some((path) => path.startsWith('/v1/agents/approval/'))).toBe(false);
    const unpublished = document.paths['/v1/agents/{agent}/{key}/{method}'].post;
    expect(unpublished.parameters[0].schema.enum).toEqual(['cold']);
    expect(document.paths['/v1/agents/{agent}/status'].get.parameters[0].schema.enum).toEqual(['counter', 'shop', 'approval', 'cold']);
    expect(document.paths['/v1/topics/{topic}'].post.description).toContain('`orders` → shop.buy');
    expect(document.tags.find((tag: Json) => tag.name === 'shop').description).toContain('placement group `store`');
    const bare = openApiDocument(AGENTS, { ...OPEN, workflows: false, topics: false }) as Json;
    expect(Object.keys(bare.paths).filter((path) => path.startsWith('/v1/workflows') || path.startsWith('/v1/topics'))).toEqual([]);
  });
});
