import type { FastifyInstance } from 'fastify';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll } from 'vitest';
import { openBuckets } from '../../agent-runtime/client/buckets.ts';
import type { Buckets } from '../../agent-runtime/client/buckets.ts';
import { ColonyClient } from '../../agent-runtime/client/client.ts';
import { openJournal } from '../../agent-runtime/client/journal.ts';
import { RegistryView } from '../../agent-runtime/client/registry-view.ts';
import { encodeJson } from '../../agent-runtime/protocol/codec.ts';
import { errorReplyHeaders, OK_REPLY_HEADERS, readCallHeaders } from '../../agent-runtime/protocol/envelope.ts';
import { ColonyError } from '../../agent-runtime/protocol/errors.ts';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import type { LogLine } from '../../agent-runtime/observability/log.ts';
import type { AgentApiRecord, AgentSpecRecord } from '../../agent-runtime/protocol/registry.ts';
import { registryApiKey, registrySpecKey, requestSubject } from '../../agent-runtime/protocol/subjects.ts';
import { buildGateway } from '../../gateway/app.ts';
import type { GatewayDeps } from '../../gateway/deps.ts';
import { startTestNats } from './nats.ts';
import type { TestNats } from './nats.ts';

/**
 * The gateway over a real nats-server, with a stand-in runtime pod: what the
 * gateway integration suites (test/integration/gateway-*.test.ts) share.
 */

export const NS = 'gwtest';
export const COUNTER_PARTITIONS = 4;
const LEGACY_PARTITIONS = 2;
export const JSON_HEADERS = { 'content-type': 'application/json' };

/** The registry spec of a test Agent in namespace NS. */
export function agentSpec(name: string, partitions: number): AgentSpecRecord {
  return { namespace: NS, name, partitions, minReplicas: 0, maxReplicas: 3, updatedAt: Date.now() };
}

/** `counter` publishes its API; `legacy` has no API record yet; `sleepy` has no pod at all. */
export const COUNTER_API: AgentApiRecord = {
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
export interface Seen {
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

/** The body of an error answer. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** Time the stand-in pod takes to answer `slow`. */
export const SLOW_REPLY_MS = 300;

/** What a test may hook into the stand-in pod. */
export interface PodHooks {
  /** Called when the stand-in pod receives a `slow` call. */
  onSlowCall?: (() => void) | undefined;
}

function replyError(msg: Msg, error: ColonyError): void {
  msg.respond(encodeJson(error.toBody()), { headers: errorReplyHeaders(error.code) });
}

/**
 * A stand-in runtime pod: a real NATS peer that serves every partition of an
 * Agent and answers per the protocol, with one method per outcome the gateway
 * must map.
 */
export function serveAgent(nc: NatsConnection, agent: string, partitions: number, hooks: PodHooks = {}): Subscription[] {
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
          hooks.onSlowCall?.();
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

/** What a suite adds to the rig before the gateway starts: more Agents in the registry, more stand-in pods. */
export type RigSeed = (rig: GatewayOverNats) => Promise<void>;

/**
 * A real nats-server whose registry holds `counter`, `legacy`, `sleepy` and
 * `late`; a stand-in pod serving `counter` and `legacy`; and the gateway of
 * `buildGateway` over them, called in-process, with the workflow records
 * bucket and journal stream. Its fields are set once `start()` has run.
 */
export class GatewayOverNats implements PodHooks {
  readonly #seed: RigSeed | undefined;
  nats!: TestNats;
  /** The gateway's connection. */
  nc!: NatsConnection;
  /** The stand-in pod's connection. */
  pod!: NatsConnection;
  buckets!: Buckets;
  /** The workflow journal stream's manager. */
  journal!: JetStreamManager;
  registry!: RegistryView;
  deps!: GatewayDeps;
  app!: FastifyInstance;
  /** What the gateway's `isReady` answers. */
  ready = true;
  /** Every line the gateway logs. */
  readonly logLines: LogLine[] = [];
  onSlowCall: (() => void) | undefined;

  /** POSTs to the gateway in-process; a payload is sent as JSON unless `headers` give another content-type. */
  readonly post = (path: string, payload?: string | Buffer, headers: Record<string, string> = {}) =>
    this.app.inject({ method: 'POST', url: path, payload, headers: payload === undefined ? headers : { ...JSON_HEADERS, ...headers } });

  constructor(seed?: RigSeed) {
    this.#seed = seed;
  }

  async start(): Promise<void> {
    this.nats = await startTestNats();
    this.nc = await this.nats.connect();
    const buckets = await openBuckets(this.nc);
    this.buckets = buckets;
    this.journal = await openJournal(this.nc);
    await buckets.registry.put(registrySpecKey(NS, 'counter'), JSON.stringify(agentSpec('counter', COUNTER_PARTITIONS)));
    await buckets.registry.put(registryApiKey(NS, 'counter'), JSON.stringify(COUNTER_API));
    await buckets.registry.put(registrySpecKey(NS, 'legacy'), JSON.stringify(agentSpec('legacy', LEGACY_PARTITIONS)));
    await buckets.registry.put(registrySpecKey(NS, 'sleepy'), JSON.stringify(agentSpec('sleepy', 2)));
    await buckets.registry.put(registrySpecKey(NS, 'late'), JSON.stringify(agentSpec('late', 1)));
    this.pod = await this.nats.connect();
    serveAgent(this.pod, 'counter', COUNTER_PARTITIONS, this);
    serveAgent(this.pod, 'legacy', LEGACY_PARTITIONS, this);
    await this.#seed?.(this);
    await this.pod.flush();
    this.registry = new RegistryView(buckets.registry, NS);
    await this.registry.start();
    this.deps = {
      client: new ColonyClient(this.nc, this.registry, { namespace: NS }),
      registry: this.registry,
      namespace: NS,
      maxPayloadBytes: this.nc.info?.max_payload ?? 0,
      log: createLogger({ level: 'debug', sink: (line) => this.logLines.push(line) }),
      metricsRegistry: new Registry(),
      isReady: () => this.ready,
      workflows: { records: buckets.workflows, journal: this.journal },
    };
    this.app = buildGateway(this.deps);
    await this.app.ready();
  }

  /** Closes the gateway and the registry view, stops the nats-server; safe after a partial `start()`. */
  async stop(): Promise<void> {
    await this.app?.close();
    this.registry?.stop();
    await this.nats?.close();
  }
}

/** A `GatewayOverNats` started before the tests of the calling suite and stopped after them. */
export function useGatewayOverNats(seed?: RigSeed): GatewayOverNats {
  const rig = new GatewayOverNats(seed);
  beforeAll(() => rig.start());
  afterAll(() => rig.stop());
  return rig;
}
