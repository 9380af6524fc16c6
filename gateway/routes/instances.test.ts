import { describe, expect, it } from 'vitest';
import type { CallRequest, CallResult } from '../../agent-runtime/client/client.ts';
import type { RegistryAgent } from '../../agent-runtime/client/registry-view.ts';
import { ColonyError } from '../../agent-runtime/protocol/errors.ts';
import type { StoredReply } from '../../agent-runtime/protocol/stored-record.ts';
import { STAND_IN_COUNTER, standInGateway } from '../../test/helpers/stand-in-gateway.ts';
import type { GatewayInstances } from '../deps.ts';
import { encodeKeyCursor } from '../instance-query.ts';

const counter: RegistryAgent = { ...STAND_IN_COUNTER, api: { namespace: 'default', name: 'counter', methods: { get: {}, state: {} }, updatedAt: 0 } };
const order: RegistryAgent = {
  spec: { namespace: 'default', name: 'order', partitions: 8, minReplicas: 0, maxReplicas: 1, updatedAt: 0 },
  api: { namespace: 'default', name: 'order', kind: 'workflow', methods: {}, updatedAt: 0 },
};
const agents = [counter, order];

const answer = (value: unknown): CallResult => ({ data: new TextEncoder().encode(JSON.stringify(value)), attempts: 1, waitedMs: 0 });

/** A gateway whose pods are `call`, and whose instance directory says `owned` partitions have a pod. */
function gateway(call: (request: CallRequest) => Promise<CallResult>, instances: Partial<GatewayInstances> = {}, owned = true) {
  return standInGateway(call, {
    registry: { get: (name) => agents.find((a) => a.spec.name === name), list: () => agents },
    instances: {
      hasOwner: () => owned,
      active: async () => ({ instances: [], more: false, unanswered: [] }),
      stored: async () => ({ keys: [], more: false }),
      readStored: async () => undefined,
      ...instances,
    },
  }).app;
}

describe('the admin routes of instances', () => {
  it('sends writes to the instance as admin operations, with the call headers, and answers the pod’s reply', async () => {
    const seen: CallRequest[] = [];
    const app = gateway(async (request) => {
      seen.push(request);
      return answer({ agent: 'counter', key: 'a/b', replaced: true });
    });
    const put = await app.inject({ method: 'PUT', url: '/v1/agents/counter/a%2Fb/state', headers: { 'content-type': 'application/json', 'idempotency-key': 'k1', 'x-colony-timeout': '3s' }, payload: '{"count":5}' });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ agent: 'counter', key: 'a/b', replaced: true });
    expect(put.headers['x-colony-call-id']).toBe('k1');
    await app.inject({ method: 'DELETE', url: '/v1/agents/counter/a%2Fb/state' });
    await app.inject({ method: 'DELETE', url: '/v1/agents/counter/a%2Fb/reminders/wake%20up' });
    expect(seen.map((r) => [r.op, r.method, r.key, new TextDecoder().decode(r.input)])).toEqual([
      ['admin', 'put', 'a/b', '{"count":5}'],
      ['admin', 'reset', 'a/b', ''],
      ['admin', 'cancel-reminder', 'a/b', '{"name":"wake up"}'],
    ]);
    expect(seen[0]).toMatchObject({ callId: 'k1', deadline: 1_003_000 });
  });

  it('refuses a put without a JSON body, an unknown agent, a workflow, and a key that is too long', async () => {
    const app = gateway(async () => answer({}));
    const cases: [string, string, string | undefined, number, string][] = [
      ['PUT', '/v1/agents/counter/a/state', undefined, 400, 'invalid_argument'],
      ['PUT', '/v1/agents/counter/a/state', '{"count":', 400, 'invalid_argument'],
      ['GET', '/v1/agents/nosuch/a/state', undefined, 404, 'not_found'],
      ['GET', '/v1/agents/nosuch/instances', undefined, 404, 'not_found'],
      ['DELETE', '/v1/agents/order/o-1/state', undefined, 409, 'failed_precondition'],
      ['GET', '/v1/agents/order/instances', undefined, 409, 'failed_precondition'],
      ['GET', `/v1/agents/counter/${'k'.repeat(257)}/reminders`, undefined, 400, 'invalid_argument'],
    ];
    for (const [method, url, payload, status, code] of cases) {
      const response = await app.inject({ method: method as 'GET', url, payload, headers: payload === undefined ? {} : { 'content-type': 'application/json' } });
      expect(response.statusCode, `${method} ${url}`).toBe(status);
      expect(response.json().error.code).toBe(code);
    }
  });

  it('reads through the pod that owns the partition, and from the stored record when none does', async () => {
    const calls = [{ callId: 'c2', method: 'increment', status: 'ok', at: 4 }];
    const view = { agent: 'counter', key: 'a', active: true, state: { count: 2 }, reminders: [{ name: 'r', method: 'get', dueAt: 5 }], calls };
    const fromPod = gateway(async (request) => {
      expect(request).toMatchObject({ op: 'admin', method: 'read' });
      return answer(view);
    });
    expect((await fromPod.inject({ method: 'GET', url: '/v1/agents/counter/a/state' })).json()).toEqual({ agent: 'counter', key: 'a', active: true, state: { count: 2 }, calls });
    expect((await fromPod.inject({ method: 'GET', url: '/v1/agents/counter/a/reminders' })).json()).toEqual({ agent: 'counter', key: 'a', active: true, reminders: view.reminders });

    const record = {
      v: 1 as const,
      state: { count: 9 },
      calls: [['c1', { status: 'ok', at: 3, fp: 'increment:AAAAAAAAAAAAAAAA' }], ['c2', { status: 'invalid_argument', at: 6 }]] as [string, StoredReply][],
      reminders: { r: { method: 'get', dueAt: 7, everyMs: 1000 } },
    };
    const stored = gateway(async () => Promise.reject(new Error('no pod is asked')), { readStored: async (_agent, key) => (key === 'a' ? record : undefined) }, false);
    expect((await stored.inject({ method: 'GET', url: '/v1/agents/counter/a/state' })).json()).toEqual({
      agent: 'counter',
      key: 'a',
      active: false,
      state: { count: 9 },
      // Newest first; the method as the fingerprint names it, when the record has one.
      calls: [{ callId: 'c2', status: 'invalid_argument', at: 6 }, { callId: 'c1', method: 'increment', status: 'ok', at: 3 }],
    });
    expect((await stored.inject({ method: 'GET', url: '/v1/agents/counter/a/reminders' })).json()).toMatchObject({ reminders: [{ name: 'r', method: 'get', dueAt: 7, everyMs: 1000 }] });
    const missing = await stored.inject({ method: 'GET', url: '/v1/agents/counter/b/state' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toContain('counter/b has no stored state');
  });

  it('passes an error of the pod on with its status', async () => {
    const app = gateway(async () => Promise.reject(new ColonyError('not_found', 'alarm/a has no reminder "x"')));
    const response = await app.inject({ method: 'DELETE', url: '/v1/agents/counter/a/reminders/x' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.message).toBe('alarm/a has no reminder "x"');
  });

  it('lists instances in memory or stored, a page at a time, with their partitions', async () => {
    const queries: unknown[] = [];
    const app = gateway(async () => answer({}), {
      active: async (_agent, query) => {
        queries.push(query);
        return { instances: [{ key: 'a', pod: 'p1' }], more: true, unanswered: ['p2'] };
      },
      stored: async (_agent, query) => {
        queries.push(query);
        return { keys: ['x', 'y'], more: false };
      },
    });
    const active = await app.inject({ method: 'GET', url: `/v1/agents/counter/instances?limit=1&cursor=${encodeKeyCursor('0')}` });
    expect(active.json()).toEqual({ agent: 'counter', stored: false, instances: [{ key: 'a', partition: 0, pod: 'p1' }], next: encodeKeyCursor('a'), unanswered: ['p2'] });
    const stored = await app.inject({ method: 'GET', url: '/v1/agents/counter/instances?stored=true' });
    expect(stored.json()).toEqual({ agent: 'counter', stored: true, instances: [{ key: 'x', partition: 0 }, { key: 'y', partition: 0 }] });
    expect(queries).toEqual([{ after: '0', limit: 1 }, { after: undefined, limit: 100 }]);
  });

  it('keeps POST to …/state and …/reminders a call of the method of that name, and answers 405 for other methods', async () => {
    const seen: CallRequest[] = [];
    const app = gateway(async (request) => {
      seen.push(request);
      return answer(1);
    });
    expect((await app.inject({ method: 'POST', url: '/v1/agents/counter/a/state' })).statusCode).toBe(200);
    expect(seen[0]).toMatchObject({ method: 'state', op: undefined });
    // counter has no method "reminders": the call route answers, as for any unknown method.
    const reminders = await app.inject({ method: 'POST', url: '/v1/agents/counter/a/reminders' });
    expect(reminders.statusCode).toBe(404);
    expect(reminders.json().error.message).toContain('has no method "reminders"');
    const patch = await app.inject({ method: 'PATCH', url: '/v1/agents/counter/a/state', payload: '{}' });
    expect(patch.statusCode).toBe(405);
    expect(patch.headers.allow).toBe('GET, HEAD, PUT, DELETE, POST');
    const post = await app.inject({ method: 'POST', url: '/v1/agents/counter/a/reminders/r' });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('DELETE');
    expect((await app.inject({ method: 'POST', url: '/v1/agents/counter/instances' })).headers.allow).toBe('GET, HEAD');
    // A method's URL still refuses GET: only …/state and …/reminders are read.
    expect((await app.inject({ method: 'GET', url: '/v1/agents/counter/a/get' })).headers.allow).toBe('POST');
  });
});
