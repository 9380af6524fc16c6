import { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { CallRequest, CallResult } from '../../agent-runtime/client/client.ts';
import type { RegistryAgent } from '../../agent-runtime/client/registry-view.ts';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import type { LogLine } from '../../agent-runtime/observability/log.ts';
import { buildGateway } from '../../gateway/app.ts';
import type { GatewayDeps } from '../../gateway/deps.ts';

/** The one Agent of a stand-in gateway's registry: `counter`, whose one method is `get`. */
export const STAND_IN_COUNTER: RegistryAgent = {
  spec: { namespace: 'default', name: 'counter', partitions: 8, minReplicas: 0, maxReplicas: 1, updatedAt: 0 },
  api: { namespace: 'default', name: 'counter', methods: { get: {} }, updatedAt: 0 },
};

export interface StandInGateway {
  app: FastifyInstance;
  /** What the gateway logged (unless `deps` gave a logger of its own). */
  lines: LogLine[];
  metricsRegistry: Registry;
}

/**
 * The gateway of buildGateway whose client runs `call`, with STAND_IN_COUNTER
 * in its registry, the clock at 1 000 000 and every call id `call-1`; the
 * routing, the errors and the metrics are real, NATS is not involved.
 * `deps` replaces any of these.
 */
export function standInGateway(call: (request: CallRequest) => Promise<CallResult>, deps: Partial<GatewayDeps> = {}): StandInGateway {
  const lines: LogLine[] = [];
  const metricsRegistry = deps.metricsRegistry ?? new Registry();
  const counter = STAND_IN_COUNTER;
  const app = buildGateway({
    // A stand-in pod never streams: a streamed call is answered as a call.
    client: { call, callStream: async (request) => ({ kind: 'result', result: await call(request) }), partitionFor: () => 0 },
    registry: { get: (name) => (name === 'counter' ? counter : undefined), list: () => [counter] },
    namespace: 'default',
    maxPayloadBytes: 1024 * 1024,
    log: createLogger({ sink: (line) => lines.push(line) }),
    metricsRegistry,
    now: () => 1_000_000,
    newCallId: () => 'call-1',
    ...deps,
  });
  return { app, lines, metricsRegistry };
}
