import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { connect } from '@nats-io/transport-node';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBuckets } from '../../agent-runtime/client/buckets.ts';
import { ColonyClient } from '../../agent-runtime/client/client.ts';
import { RegistryView } from '../../agent-runtime/client/registry-view.ts';
import { decodeJson, encodeJson } from '../../agent-runtime/protocol/codec.ts';
import { errorReplyHeaders, OK_REPLY_HEADERS, readCallHeaders } from '../../agent-runtime/protocol/envelope.ts';
import { ColonyError } from '../../agent-runtime/protocol/errors.ts';
import { DEFAULT_CALL_TIMEOUT_MS } from '../../agent-runtime/protocol/limits.ts';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import type { LogLine } from '../../agent-runtime/observability/log.ts';
import { partitionOf } from '../../agent-runtime/protocol/partition.ts';
import type { AgentApiRecord, AgentSpecRecord } from '../../agent-runtime/protocol/registry.ts';
import { demandSubject, registryApiKey, registrySpecKey, requestSubject } from '../../agent-runtime/protocol/subjects.ts';
import { bodyLimitsFor, buildGateway } from '../../gateway/app.ts';
import type { GatewayDeps } from '../../gateway/deps.ts';
import { parseApiTokens } from '../../gateway/auth.ts';
import { startGateway } from '../../gateway/gateway.ts';
import { DURATION_BUCKETS_SECONDS } from '../../gateway/metrics.ts';
import type { RunningGateway, StartGatewayOptions } from '../../gateway/gateway.ts';
import { COLONY_BIN } from '../helpers/colony-dev.ts';
import { startTestNats } from '../helpers/nats.ts';
import type { TestNats } from '../helpers/nats.ts';

const NS = 'gwtest';
const COUNTER_PARTITIONS = 4;
const LEGACY_PARTITIONS = 2;
const JSON_HEADERS = { 'content-type': 'application/json' };

function spec(name: string, partitions: number): AgentSpecRecord {
  return { namespace: NS, name, partitions, minReplicas: 0, maxReplicas: 3, updatedAt: Date.now() };
}

/** `counter` publishes its API; `legacy` has no API record yet; `sleepy` has no pod at all. */
const COUNTER_API: AgentApiRecord = {
  namespace: NS,
  name: 'counter',
  methods: {
    echo: {},
    inspect: {},
    nothing: {},
    fail: {},
    busy: {},
    hang: {},
    slow: {},
    increment: { input: { type: 'object', properties: { by: { type: 'integer' } } } },
  },
  updatedAt: Date.now(),
};

/** What the stand-in pod saw of a call; `inspect` returns it. */
interface Seen {
  key: string;
  method: string;
  callId: string;
  chain: string;
  depth: number;
  deadline: number;
  traceparent: string | null;
  partition: number;
  inputBytes: number;
}

/** Time the stand-in pod takes to answer `slow`. */
const SLOW_REPLY_MS = 300;
/** Called when the stand-in pod receives a `slow` call. */
let onSlowCall: (() => void) | undefined;

function replyError(msg: Msg, error: ColonyError): void {
  msg.respond(encodeJson(error.toBody()), { headers: errorReplyHeaders(error.code) });
}

/**
 * A stand-in runtime pod: a real NATS peer that serves every partition of an
 * Agent and answers per the protocol, with one method per outcome the gateway
 * must map.
 */
function serveAgent(nc: NatsConnection, agent: string, partitions: number): Subscription[] {
  const subscriptions: Subscription[] = [];
  for (let partition = 0; partition < partitions; partition += 1) {
    const onCall = (error: Error | null, msg: Msg): void => {
      if (error) return;
      let meta;
      try {
        meta = readCallHeaders(msg);
      } catch (thrown) {
        replyError(msg, thrown as ColonyError);
        return;
      }
      switch (meta.method) {
        case 'echo':
          msg.respond(msg.data, { headers: OK_REPLY_HEADERS });
          return;
        case 'inspect': {
          const seen: Seen = {
            key: meta.key,
            method: meta.method,
            callId: meta.callId,
            chain: meta.chain,
            depth: meta.depth,
            deadline: meta.deadline,
            traceparent: meta.traceparent ?? null,
            partition,
            inputBytes: msg.data.byteLength,
          };
          msg.respond(encodeJson(seen), { headers: OK_REPLY_HEADERS });
          return;
        }
        case 'nothing':
        case 'anything':
          msg.respond(new Uint8Array(0), { headers: OK_REPLY_HEADERS });
          return;
        case 'fail':
          replyError(msg, new ColonyError('method_failed', `${agent}.fail failed: the counter is on fire`));
          return;
        case 'busy':
          replyError(msg, new ColonyError('resource_exhausted', `${agent} has too many calls queued`, { retryAfterSeconds: 7 }));
          return;
        case 'hang':
          return;
        case 'slow':
          onSlowCall?.();
          setTimeout(() => msg.respond(encodeJson('finally'), { headers: OK_REPLY_HEADERS }), SLOW_REPLY_MS);
          return;
        default:
          replyError(msg, new ColonyError('not_found', `agent "${agent}" has no method "${meta.method}"`));
      }
    };
    subscriptions.push(nc.subscribe(requestSubject(NS, agent, partition), { callback: onCall }));
  }
  return subscriptions;
}

interface ErrorBody {
  error: { code: string; message: string };
}

describe('gateway over a real nats-server', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let pod: NatsConnection;
  let registry: RegistryView;
  let client: ColonyClient;
  let app: FastifyInstance;
  let deps: GatewayDeps;
  let ready = true;
  const logLines: LogLine[] = [];

  beforeAll(async () => {
    nats = await startTestNats();
    nc = await nats.connect();
    const buckets = await openBuckets(nc);
    await buckets.registry.put(registrySpecKey(NS, 'counter'), JSON.stringify(spec('counter', COUNTER_PARTITIONS)));
    await buckets.registry.put(registryApiKey(NS, 'counter'), JSON.stringify(COUNTER_API));
    await buckets.registry.put(registrySpecKey(NS, 'legacy'), JSON.stringify(spec('legacy', LEGACY_PARTITIONS)));
    await buckets.registry.put(registrySpecKey(NS, 'sleepy'), JSON.stringify(spec('sleepy', 2)));
    await buckets.registry.put(registrySpecKey(NS, 'late'), JSON.stringify(spec('late', 1)));
    pod = await nats.connect();
    serveAgent(pod, 'counter', COUNTER_PARTITIONS);
    serveAgent(pod, 'legacy', LEGACY_PARTITIONS);
    await pod.flush();
    registry = new RegistryView(buckets.registry, NS);
    await registry.start();
    client = new ColonyClient(nc, registry, { namespace: NS });
    deps = {
      client,
      registry,
      namespace: NS,
      maxPayloadBytes: nc.info?.max_payload ?? 0,
      log: createLogger({ level: 'debug', sink: (line) => logLines.push(line) }),
      metricsRegistry: new Registry(),
      isReady: () => ready,
    };
    app = buildGateway(deps);
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    registry?.stop();
    await nats?.close();
  });

  const post = (path: string, payload?: string | Buffer, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: path, payload, headers: payload === undefined ? headers : { ...JSON_HEADERS, ...headers } });

  describe('successful calls', () => {
    it('answers 200 with the pod reply bytes as they were, not re-serialised', async () => {
      const body = '{ "by" : [1, 2.50] ,"note":"héllo" }';
      const response = await post('/v1/agents/counter/alice/echo', body);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.body).toBe(body);
      expect(response.headers['x-colony-call-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(response.headers['x-colony-wait-ms']).toBeUndefined();
    });

    it('answers 204 when the method returns nothing', async () => {
      const response = await post('/v1/agents/counter/alice/nothing');
      expect(response.statusCode).toBe(204);
      expect(response.body).toBe('');
    });

    it('sends the call headers: call id, chain = call id, depth 0, deadline from X-Colony-Timeout, traceparent', async () => {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const before = Date.now();
      const response = await post('/v1/agents/counter/alice/inspect', undefined, { 'x-colony-timeout': '5s', traceparent });
      expect(response.statusCode).toBe(200);
      const seen = response.json<Seen>();
      expect(seen.callId).toBe(response.headers['x-colony-call-id']);
      expect(seen.chain).toBe(seen.callId);
      expect(seen.depth).toBe(0);
      expect(seen.traceparent).toBe(traceparent);
      expect(seen.deadline).toBeGreaterThanOrEqual(before + 5_000);
      expect(seen.deadline).toBeLessThanOrEqual(Date.now() + 5_000);
      expect(seen.inputBytes).toBe(0);
    });

    it('gives a call the default timeout when X-Colony-Timeout is absent', async () => {
      const before = Date.now();
      const seen = (await post('/v1/agents/counter/alice/inspect')).json<Seen>();
      expect(seen.deadline).toBeGreaterThanOrEqual(before + DEFAULT_CALL_TIMEOUT_MS);
      expect(seen.deadline).toBeLessThanOrEqual(Date.now() + DEFAULT_CALL_TIMEOUT_MS);
    });

    it('uses the Idempotency-Key as the call id and echoes it', async () => {
      const response = await post('/v1/agents/counter/alice/inspect', '{}', { 'idempotency-key': 'order-42' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-colony-call-id']).toBe('order-42');
      expect(response.json<Seen>()).toMatchObject({ callId: 'order-42', chain: 'order-42', inputBytes: 2 });
    });

    it.each([
      ['a slash', 'orders/2024/17'],
      ['spaces', 'Ada Lovelace'],
      ['non-ASCII', 'été ☃ 東京'],
      ['a percent sign and a question mark', '100%?'],
    ])('delivers a percent-encoded key with %s to the partition it hashes to', async (_what, key) => {
      const response = await post(`/v1/agents/counter/${encodeURIComponent(key)}/inspect`);
      expect(response.statusCode).toBe(200);
      const seen = response.json<Seen>();
      expect(seen.key).toBe(key);
      expect(seen.partition).toBe(partitionOf(key, COUNTER_PARTITIONS));
    });

    it('holds a call until a pod serves its partition, and says how long it waited', async () => {
      // The scenario needs a pod that appears while the call waits: it subscribes 100 ms after the call starts.
      let late: Subscription[] = [];
      const pending = post('/v1/agents/late/k/inspect', undefined, { 'x-colony-timeout': '10s' });
      const timer = setTimeout(() => {
        late = serveAgent(pod, 'late', 1);
      }, 100);
      try {
        const response = await pending;
        expect(response.statusCode).toBe(200);
        expect(response.json<Seen>().key).toBe('k');
        expect(Number(response.headers['x-colony-wait-ms'])).toBeGreaterThanOrEqual(90);
      } finally {
        clearTimeout(timer);
        for (const subscription of late) subscription.unsubscribe();
      }
    });

    it('accepts a key of exactly 256 bytes', async () => {
      const key = 'é'.repeat(128);
      const response = await post(`/v1/agents/counter/${encodeURIComponent(key)}/inspect`);
      expect(response.statusCode).toBe(200);
      expect(response.json<Seen>().key).toBe(key);
    });

    it('forwards a method of an agent whose API is not published and lets the pod answer', async () => {
      expect((await post('/v1/agents/legacy/k/anything')).statusCode).toBe(204);
      const unknown = await post('/v1/agents/legacy/k/whatever');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json<ErrorBody>().error).toEqual({ code: 'not_found', message: 'agent "legacy" has no method "whatever"' });
    });

    it('carries a body just under the NATS payload limit to the pod and back', async () => {
      const { bodyLimitBytes } = bodyLimitsFor(deps.maxPayloadBytes);
      const body = `"${'a'.repeat(bodyLimitBytes - 2)}"`;
      const response = await post('/v1/agents/counter/big/echo', body);
      expect(response.statusCode).toBe(200);
      expect(response.rawPayload.equals(Buffer.from(body))).toBe(true);
    });
  });

  describe('errors', () => {
    async function expectError(
      responsePromise: ReturnType<typeof post>,
      status: number,
      code: string,
      messagePart: string | RegExp,
    ): Promise<Awaited<ReturnType<typeof post>>> {
      const response = await responsePromise;
      expect(response.statusCode).toBe(status);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      const { error } = response.json<ErrorBody>();
      expect(error.code).toBe(code);
      if (typeof messagePart === 'string') expect(error.message).toContain(messagePart);
      else expect(error.message).toMatch(messagePart);
      return response;
    }

    it('400 for a body that is not JSON, saying where it fails', async () => {
      await expectError(post('/v1/agents/counter/alice/echo', '{"by": [1, 2'), 400, 'invalid_argument', /^the request body is not valid JSON: .*position 12/);
    });

    it('400 for a body sent without content-type: application/json', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/agents/counter/alice/echo',
        payload: '{"by":1}',
        headers: { 'content-type': 'text/plain' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json<ErrorBody>().error.message).toContain('content-type: application/json');
    });

    it('treats an empty body as no input, whatever its content-type', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/agents/counter/alice/inspect',
        payload: '',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json<Seen>().inputBytes).toBe(0);
    });

    it('400 for a key longer than 256 bytes', async () => {
      await expectError(post(`/v1/agents/counter/${'k'.repeat(257)}/echo`), 400, 'invalid_argument', '257 bytes');
      await expectError(post(`/v1/agents/counter/${encodeURIComponent('é'.repeat(129))}/echo`), 400, 'invalid_argument', '258 bytes');
    });

    it('400 for an empty key', async () => {
      await expectError(post('/v1/agents/counter//echo'), 400, 'invalid_argument', 'the instance key is empty');
    });

    it('400 for malformed percent-encoding in the URL', async () => {
      await expectError(post('/v1/agents/counter/a%E0%A4%A/echo'), 400, 'invalid_argument', 'percent-encoded');
    });

    it('400 naming X-Colony-Timeout when it is not a duration', async () => {
      await expectError(post('/v1/agents/counter/alice/echo', undefined, { 'x-colony-timeout': 'soon' }), 400, 'invalid_argument', 'X-Colony-Timeout');
      await expectError(post('/v1/agents/counter/alice/echo', undefined, { 'x-colony-timeout': '1h' }), 400, 'invalid_argument', 'X-Colony-Timeout');
    });

    it('404 for an unknown agent, listing the agents', async () => {
      await expectError(
        post('/v1/agents/nope/alice/echo'),
        404,
        'not_found',
        `there is no agent named "nope" in namespace "${NS}"; the agents are: counter, late, legacy, sleepy`,
      );
    });

    it('404 for a method the agent does not publish, naming its methods', async () => {
      await expectError(
        post('/v1/agents/counter/alice/explode'),
        404,
        'not_found',
        'agent "counter" has no method "explode"; its methods are: echo, inspect, nothing, fail, busy, hang, slow, increment',
      );
    });

    it('413 for a body over the NATS payload limit', async () => {
      const body = `"${'a'.repeat(deps.maxPayloadBytes)}"`;
      await expectError(post('/v1/agents/counter/alice/echo', body), 413, 'payload_too_large', 'max_payload');
    });

    it('500 when the method throws', async () => {
      await expectError(post('/v1/agents/counter/alice/fail'), 500, 'method_failed', 'the counter is on fire');
    });

    it('503 with Retry-After when no pod serves the partition before the deadline', async () => {
      const started = Date.now();
      const response = await expectError(
        post('/v1/agents/sleepy/alice/wake', undefined, { 'x-colony-timeout': '150ms' }),
        503,
        'unavailable',
        'no pod of agent "sleepy"',
      );
      expect(response.headers['retry-after']).toBe('1');
      expect(response.headers['x-colony-call-id']).toBeDefined();
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('504 when the pod does not answer before the deadline', async () => {
      const response = await expectError(
        post('/v1/agents/counter/alice/hang', undefined, { 'x-colony-timeout': '200ms' }),
        504,
        'deadline_exceeded',
        'did not answer before its deadline',
      );
      expect(response.headers['retry-after']).toBeUndefined();
    });

    it('429 with the Retry-After the pod asked for', async () => {
      const response = await expectError(
        post('/v1/agents/counter/alice/busy', undefined, { 'x-colony-timeout': '500ms' }),
        429,
        'resource_exhausted',
        'too many calls queued',
      );
      expect(response.headers['retry-after']).toBe('7');
    });

    it('404 in the same shape for routes that do not exist, 405 for a method a route does not take', async () => {
      const missing = await app.inject({ method: 'GET', url: '/v2/whatever' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json<ErrorBody>().error.code).toBe('not_found');
      expect(missing.json<ErrorBody>().error.message).toContain('POST /v1/agents/{agent}/{key}/{method}');
      const wrongVerb = await app.inject({ method: 'GET', url: '/v1/agents/counter/alice/echo' });
      expect(wrongVerb.statusCode).toBe(405);
      expect(wrongVerb.headers.allow).toBe('POST');
      expect(wrongVerb.json<ErrorBody>().error.code).toBe('method_not_allowed');
    });

    it('keeps serving after bad requests', async () => {
      expect((await post('/v1/agents/counter/alice/echo', '{"ok":true}')).statusCode).toBe(200);
      expect(logLines.filter((line) => line.level === 'error')).toEqual([]);
    });
  });

  describe('agents, health and metrics', () => {
    it('lists the agents from the registry', async () => {
      const response = await app.inject({ method: 'GET', url: '/v1/agents' });
      expect(response.statusCode).toBe(200);
      const { agents } = response.json<{ agents: { name: string; partitions: number; methods: Record<string, unknown> }[] }>();
      expect(agents.map((agent) => agent.name)).toEqual(['counter', 'late', 'legacy', 'sleepy']);
      expect(agents[0]).toEqual({
        name: 'counter',
        partitions: COUNTER_PARTITIONS,
        minReplicas: 0,
        maxReplicas: 3,
        methods: COUNTER_API.methods,
      });
      expect(agents[2]?.methods).toEqual({});
    });

    it('describes one agent, and 404s an unknown one', async () => {
      const one = await app.inject({ method: 'GET', url: '/v1/agents/counter' });
      expect(one.statusCode).toBe(200);
      expect(one.json()).toMatchObject({ name: 'counter', partitions: COUNTER_PARTITIONS });
      const none = await app.inject({ method: 'GET', url: '/v1/agents/nope' });
      expect(none.statusCode).toBe(404);
      expect(none.json<ErrorBody>().error.message).toContain('there is no agent named "nope"');
    });

    it('answers /healthz always and /readyz only while ready', async () => {
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      ready = false;
      try {
        const notReady = await app.inject({ method: 'GET', url: '/readyz' });
        expect(notReady.statusCode).toBe(503);
        expect(notReady.json<ErrorBody>().error.code).toBe('unavailable');
        expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      } finally {
        ready = true;
      }
    });

    it('exports request metrics by agent, method and status, with unknown names bounded', async () => {
      const metricsRegistry = new Registry();
      const fresh = buildGateway({ ...deps, metricsRegistry });
      try {
        const call = (url: string) => fresh.inject({ method: 'POST', url });
        expect((await call('/v1/agents/counter/alice/nothing')).statusCode).toBe(204);
        expect((await call('/v1/agents/counter/alice/nothing')).statusCode).toBe(204);
        expect((await call('/v1/agents/counter/alice/fail')).statusCode).toBe(500);
        expect((await call('/v1/agents/counter/alice/no-such-method')).statusCode).toBe(404);
        expect((await call('/v1/agents/evil-1/k/m1')).statusCode).toBe(404);
        expect((await call('/v1/agents/evil-2/k/m2')).statusCode).toBe(404);
        const tooLarge = await fresh.inject({
          method: 'POST',
          url: '/v1/agents/counter/alice/echo',
          headers: JSON_HEADERS,
          payload: `"${'a'.repeat(deps.maxPayloadBytes)}"`,
        });
        expect(tooLarge.statusCode).toBe(413);
        const response = await fresh.inject({ method: 'GET', url: '/metrics' });
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toContain('text/plain');
        const text = response.body;
        expect(text).toContain('colony_gateway_requests_total{agent="counter",method="nothing",status="204"} 2');
        expect(text).toContain('colony_gateway_requests_total{agent="counter",method="fail",status="500"} 1');
        expect(text).toContain('colony_gateway_requests_total{agent="counter",method="unknown",status="404"} 1');
        expect(text).toContain('colony_gateway_requests_total{agent="unknown",method="unknown",status="404"} 2');
        expect(text).toContain('colony_gateway_requests_total{agent="counter",method="echo",status="413"} 1');
        expect(text).toContain('colony_gateway_request_duration_seconds_count{agent="counter",method="nothing",status="204"} 2');
        expect(text).not.toContain('evil');
        expect(text).not.toContain('no-such-method');
      } finally {
        await fresh.close();
      }
    });
  });

  describe('request durations', () => {
    /** The value of one sample line of Prometheus text, e.g. `name{labels} 0.31`. */
    const sample = (text: string, series: string): number => {
      const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
      if (line === undefined) throw new Error(`no sample ${series} in the metrics`);
      return Number(line.slice(series.length + 1));
    };
    const DURATION = 'colony_gateway_request_duration_seconds';

    it('measures each call over real HTTP from receiving it to answering it, failed calls too', async () => {
      const metricsRegistry = new Registry();
      const fresh = buildGateway({ ...deps, metricsRegistry });
      await fresh.listen({ host: '127.0.0.1', port: 0 });
      try {
        const url = `http://127.0.0.1:${(fresh.server.address() as AddressInfo).port}`;
        /** Calls `method`; returns the seconds the caller waited for the whole answer. */
        const timed = async (method: string, status: number, headers: Record<string, string> = {}): Promise<number> => {
          const started = performance.now();
          const response = await fetch(`${url}/v1/agents/counter/alice/${method}`, { method: 'POST', headers });
          await response.arrayBuffer();
          expect(response.status).toBe(status);
          return (performance.now() - started) / 1_000;
        };
        const slowSeconds = await timed('slow', 200);
        const hangSeconds = await timed('hang', 504, { 'x-colony-timeout': '200ms' });
        const text = await (await fetch(`${url}/metrics`)).text();

        // The gateway's measure lies between the pod's own delay and what the caller waited.
        const slow = 'agent="counter",method="slow",status="200"';
        expect(sample(text, `${DURATION}_count{${slow}}`)).toBe(1);
        expect(sample(text, `${DURATION}_sum{${slow}}`)).toBeGreaterThanOrEqual(SLOW_REPLY_MS / 1_000);
        expect(sample(text, `${DURATION}_sum{${slow}}`)).toBeLessThanOrEqual(slowSeconds);
        // In the right bucket: none at or below 0.25 s, and it is in the first bucket that holds what the caller waited.
        expect(sample(text, `${DURATION}_bucket{le="0.25",${slow}}`)).toBe(0);
        const bound = DURATION_BUCKETS_SECONDS.find((le) => le >= slowSeconds);
        expect(sample(text, `${DURATION}_bucket{le="${bound ?? '+Inf'}",${slow}}`)).toBe(1);

        // A call that ends in an error is recorded by the error handler, with its real duration too.
        const hang = 'agent="counter",method="hang",status="504"';
        expect(sample(text, `${DURATION}_sum{${hang}}`)).toBeGreaterThanOrEqual(0.2);
        expect(sample(text, `${DURATION}_sum{${hang}}`)).toBeLessThanOrEqual(hangSeconds);
      } finally {
        await fresh.close();
      }
    });
  });

  describe('startGateway', () => {
    it('listens on a free port, serves real HTTP, signals demand for a cold agent, and closes', async () => {
      const gatewayNc = await nats.connect();
      const demands: unknown[] = [];
      const demandSub = nc.subscribe(demandSubject(NS, 'sleepy'), {
        callback: (_error, msg) => {
          demands.push(decodeJson(msg.data, 'demand'));
        },
      });
      await nc.flush();
      const gateway = await startGateway({
        nc: gatewayNc,
        namespace: NS,
        host: '127.0.0.1',
        port: 0,
        log: createLogger({ sink: () => undefined }),
      });
      try {
        expect(gateway.port).toBeGreaterThan(0);
        expect(gateway.url).toBe(`http://127.0.0.1:${gateway.port}`);
        const key = 'a/b c';
        const response = await fetch(`${gateway.url}/v1/agents/counter/${encodeURIComponent(key)}/inspect`, {
          method: 'POST',
          headers: JSON_HEADERS,
          body: '{"by":2}',
        });
        expect(response.status).toBe(200);
        expect(((await response.json()) as Seen).key).toBe(key);
        expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);

        const cold = await fetch(`${gateway.url}/v1/agents/sleepy/alice/wake`, { method: 'POST', headers: { 'x-colony-timeout': '300ms' } });
        expect(cold.status).toBe(503);
        expect(cold.headers.get('retry-after')).toBe('1');
        // The demand was published on the gateway's connection: wait for it to arrive on this one.
        await expect.poll(() => demands.length).toBeGreaterThan(0);
        for (const demand of demands) expect(demand).toMatchObject({ namespace: NS, agent: 'sleepy' });

        const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
        expect(metrics).toContain('colony_gateway_requests_total{agent="counter",method="inspect",status="200"} 1');
        expect(metrics).toContain('process_cpu_user_seconds_total');
      } finally {
        await gateway.close();
        demandSub.unsubscribe();
      }
      await expect(fetch(`${gateway.url}/healthz`)).rejects.toThrow();
      expect(gatewayNc.isClosed()).toBe(false);
    });

    /** A gateway of its own, on its own connection and a free port, logging nothing. */
    const ownGateway = async (options: Partial<StartGatewayOptions> = {}): Promise<RunningGateway> =>
      startGateway({ nc: await nats.connect(), namespace: NS, host: '127.0.0.1', port: 0, log: createLogger({ sink: () => undefined }), ...options });

    it('finishes calls in flight when it closes, without waiting for idle keep-alive connections', async () => {
      const gateway = await ownGateway();
      const received = new Promise<void>((resolve) => {
        onSlowCall = resolve;
      });
      try {
        // A keep-alive connection that is idle when close() starts, and one busy with a call.
        expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
        const inFlight = fetch(`${gateway.url}/v1/agents/counter/alice/slow`, { method: 'POST' });
        await received;
        const started = Date.now();
        await gateway.close();
        const response = await inFlight;
        expect(response.status).toBe(200);
        expect(await response.json()).toBe('finally');
        expect(Date.now() - started).toBeLessThan(SLOW_REPLY_MS + 2_000);
      } finally {
        onSlowCall = undefined;
        await gateway.close();
      }
    }, 10_000);

    it('with COLONY_API_TOKENS-style tokens, serves the colony CLI that sends one and refuses the one that does not', async () => {
      const token = 'integration-token-0123456789';
      const gateway = await ownGateway({ apiTokens: parseApiTokens(token, 'COLONY_API_TOKENS') });
      const colony = (args: string[], env: Record<string, string> = {}) =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          execFile(process.execPath, [COLONY_BIN, ...args, '--url', gateway.url], { env: { ...process.env, COLONY_TOKEN: '', ...env } }, (error, stdout, stderr) =>
            resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
          );
        });
      try {
        const refused = await colony(['invoke', 'counter/alice', 'echo', '{"by":1}']);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/error 401 unauthenticated: this gateway requires an API token/);
        const byFlag = await colony(['invoke', 'counter/alice', 'echo', '{"by":1}', '--token', token]);
        expect(byFlag).toMatchObject({ code: 0, stdout: '{\n  "by": 1\n}\n' });
        const byEnv = await colony(['get', 'agents'], { COLONY_TOKEN: token });
        expect(byEnv.code).toBe(0);
        expect(byEnv.stdout).toMatch(/^counter\s/m);
        expect((await colony(['get', 'agents'])).stderr).toMatch(/401 unauthenticated/);
        expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
      } finally {
        await gateway.close();
      }
    });
  });
});

/** Polls `check` until it returns true; for state that changes on NATS status events. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('gateway readiness follows its NATS connection', () => {
  let nats: TestNats;

  beforeAll(async () => {
    nats = await startTestNats();
  });

  afterAll(async () => {
    await nats?.close();
  });

  it('answers /readyz 503 while NATS is down and 200 again after it reconnects, /healthz 200 throughout', async () => {
    const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const gateway = await startGateway({ nc, namespace: NS, host: '127.0.0.1', port: 0, log: createLogger({ sink: () => undefined }) });
    const status = async (path: string): Promise<number> => (await fetch(`${gateway.url}${path}`)).status;
    try {
      expect(await status('/readyz')).toBe(200);
      await nats.stop();
      await eventually(async () => (await status('/readyz')) === 503, 10_000);
      expect(await status('/healthz')).toBe(200);
      await nats.restart();
      await eventually(async () => (await status('/readyz')) === 200, 10_000);
    } finally {
      await gateway.close();
      await nc.close();
    }
  });
});
