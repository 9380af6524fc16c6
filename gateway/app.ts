import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { ColonyError } from '../agent-runtime/protocol/errors.ts';
import type { GatewayDeps } from './deps.ts';
import { payloadTooLargeError, quote, replyWithError, sendError } from './errors.ts';
import type { BodyLimits } from './errors.ts';
import { answerConnectionError, createGatewayServer } from './http-server.ts';
import { GatewayMetrics, registerEventLagGauge } from './metrics.ts';
import { RequestTiming } from './request-timing.ts';
import { registerAgentRoutes } from './routes/agents.ts';
import { registerDashboardRoutes } from './routes/dashboard.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerInstanceRoutes } from './routes/instances.ts';
import { registerDocsRoutes, registerOpenApiRoute } from './routes/openapi.ts';
import { observeFailedInvoke, registerInvokeRoute } from './routes/invoke.ts';
import { NO_TRACING } from '../agent-runtime/observability/tracing.ts';
import { withMethodNotAllowed } from './routes/method-not-allowed.ts';
import { registerWorkflowRoutes } from './routes/workflows.ts';
import { registerTopicRoutes } from './routes/topics.ts';

/** Room left in a NATS message for the call's headers; the body may use the rest of max_payload. */
export const HEADER_HEADROOM_BYTES = 8 * 1024;
/**
 * Longest path parameter the router accepts, characters. find-my-way's
 * default (100) would turn a long key into a 404; with this limit every key
 * that fits in a request line reaches checkInstanceKey and gets a clear 400.
 */
export const MAX_PARAM_LENGTH = 16 * 1024;

const ROUTES_HINT =
  'the gateway serves POST /v1/agents/{agent}/{key}/{method}, GET /v1/agents, GET /v1/agents/{agent}, POST /v1/topics/{topic}, ' +
  'GET /v1/agents/{agent}/instances, GET|PUT|DELETE /v1/agents/{agent}/{key}/state, GET /v1/agents/{agent}/{key}/reminders, ' +
  '/v1/workflows/{workflow}/{id}/… (the README lists them; GET /openapi.json describes them, GET /docs shows it; GET /ui is the dashboard), GET /healthz, GET /readyz and GET /metrics; percent-encode a key or workflow id that contains "/" (as %2F)';

/**
 * Bodies up to this size are read in full even when they are over the NATS
 * limit, so the client gets the 413 instead of a reset connection (HTTP
 * clients such as fetch fail with EPIPE when the server closes while they are
 * still sending). Larger ones are cut off at once.
 */
export const READ_LIMIT_BYTES = 16 * 1024 * 1024;

/** Keeps the body as the bytes that arrived, whatever its content-type; the invoke route checks it. */
function keepRawBody(limits: BodyLimits) {
  return (_request: unknown, body: Buffer | string, done: (error: Error | null, body?: unknown) => void): void => {
    if (body.length > limits.bodyLimitBytes) done(payloadTooLargeError(limits));
    else done(null, body);
  };
}

export function bodyLimitsFor(maxPayloadBytes: number): BodyLimits {
  return { maxPayloadBytes, bodyLimitBytes: Math.max(1, maxPayloadBytes - HEADER_HEADROOM_BYTES) };
}

/**
 * The gateway's HTTP application, not listening: tests drive it with
 * `inject()`, startGateway listens. Fastify's own request logging is off;
 * only unexpected errors are logged, through `deps.log`.
 */
export function buildGateway(deps: GatewayDeps): FastifyInstance {
  const { log, registry, namespace } = deps;
  const limits = bodyLimitsFor(deps.maxPayloadBytes);
  const timing = new RequestTiming(deps.monotonicNow ?? performance.now.bind(performance));
  const app: FastifyInstance = Fastify({
    logger: false,
    logController: timing,
    bodyLimit: Math.max(limits.bodyLimitBytes, READ_LIMIT_BYTES),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Errors raised before routing, such as malformed percent-encoding in the URL.
    frameworkErrors: (error, _request, reply) => {
      replyWithError(reply, error, limits, log);
    },
    // Requests Node's HTTP server refuses before fastify sees them (http-server.ts).
    serverFactory: createGatewayServer,
    clientErrorHandler: (error, socket) => answerConnectionError(error, socket, app.server, log),
    // fastify's own 503 while closing has fastify's shape; the routes answer requests that arrive then (`closing`).
    return503OnClosing: false,
  });
  // Aborted once the gateway begins to close: calls and verbs that still arrive are refused, /readyz
  // answers 503, and requests that wait for a workflow (GET …?wait=) answer rather than hold the close open.
  const closing = new AbortController();
  app.addHook('preClose', async () => {
    closing.abort();
  });
  const now = deps.now ?? Date.now;
  const newCallId = deps.newCallId ?? randomUUID;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, keepRawBody(limits));
  const metrics = new GatewayMetrics(deps.metricsRegistry);
  registerEventLagGauge(deps.metricsRegistry, registry);
  app.setErrorHandler((error, request, reply) => {
    replyWithError(reply, error, limits, log);
    observeFailedInvoke(request, reply.statusCode, timing.secondsSince(request), metrics, registry);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new ColonyError('not_found', `there is no route ${request.method} ${quote(request.url)}; ${ROUTES_HINT}`)),
  );

  withMethodNotAllowed(app, () => {
    // The /v1 routes and /openapi.json, in a context of their own: with API tokens, one onRequest hook checks
    // every request before its body is read (a caller without a token cannot make the gateway read 16 MiB);
    // without, no hook at all, so the hot path is as measured in decision 6. Health, metrics and the
    // /docs and /ui pages (which ask for the token, decision 23) stay open.
    const { apiTokens } = deps;
    app.register(async (v1) => {
      if (apiTokens) v1.addHook('onRequest', async (request) => apiTokens.check(request.headers.authorization));
      registerInvokeRoute(v1, {
        client: deps.client,
        registry,
        namespace,
        metrics,
        timing,
        closing: closing.signal,
        now,
        newCallId,
        tracing: deps.tracing ?? NO_TRACING,
      });
      registerAgentRoutes(v1, { registry, namespace });
      if (deps.instances) registerInstanceRoutes(v1, { client: deps.client, registry, namespace, instances: deps.instances, closing: closing.signal, now, newCallId });
      if (deps.topics) registerTopicRoutes(v1, { topics: deps.topics, closing: closing.signal, now, newEventId: newCallId });
      if (deps.workflows) {
        registerWorkflowRoutes(v1, {
          client: deps.client,
          registry,
          namespace,
          workflows: deps.workflows,
          closing: closing.signal,
          now,
          newCallId,
          newWorkflowId: randomUUID,
        });
      }
      registerOpenApiRoute(v1, {
        registry,
        document: { namespace, authRequired: apiTokens !== undefined, workflows: deps.workflows !== undefined, topics: deps.topics !== undefined, instances: deps.instances !== undefined },
      });
    });
    registerDocsRoutes(app, { namespace, authRequired: apiTokens !== undefined });
    registerDashboardRoutes(app, { namespace, authRequired: apiTokens !== undefined });
    registerHealthRoutes(app, { isReady: deps.isReady ?? (() => true), closing: closing.signal, metricsRegistry: deps.metricsRegistry });
  });
  return app;
}
