import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { ColonyError } from '../../agent-runtime/protocol/errors.ts';
import { gatewayClosingError, sendError } from '../errors.ts';

export interface HealthRoutesOptions {
  isReady: () => boolean;
  /** Aborted once the gateway has begun to close: it is not ready any more. */
  closing: AbortSignal;
  metricsRegistry: Registry;
}

/**
 * GET /healthz — the process runs (liveness: never depends on NATS, so a NATS
 * outage does not restart every gateway). GET /readyz — NATS is connected and
 * the registry is loaded (readiness: take the gateway out of the Service
 * until then). GET /metrics — Prometheus text.
 */
export function registerHealthRoutes(app: FastifyInstance, options: HealthRoutesOptions): void {
  const { isReady, closing, metricsRegistry } = options;

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    if (closing.aborted) return sendError(reply, gatewayClosingError());
    if (isReady()) return { status: 'ready' };
    return sendError(
      reply,
      new ColonyError(
        'unavailable',
        'the gateway is not ready: it is not connected to NATS or has not loaded the agent registry yet',
        { retryAfterSeconds: 1 },
      ),
    );
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await metricsRegistry.metrics();
    return reply.header('content-type', metricsRegistry.contentType).send(text);
  });
}
