import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ColonyError, httpStatusOf } from '../../agent-runtime/protocol/errors.ts';
import type { Tracing } from '../../agent-runtime/observability/tracing.ts';
import { checkInstanceKey, isMethodName } from '../../agent-runtime/protocol/limits.ts';
import { callFromRequest, REQUEST_HEADER, RESPONSE_HEADER } from '../call-headers.ts';
import type { CallSource } from '../call-headers.ts';
import type { CallRequest, CallResult } from '../../agent-runtime/client/client.ts';
import { acceptsEventStream, writeEventStream } from '../sse.ts';
import type { GatewayClient, GatewayRegistry } from '../deps.ts';
import { gatewayClosingError, invalidMethodNameError, JSON_CONTENT_TYPE, unknownAgentError, unknownMethodError } from '../errors.ts';
import { readInput } from '../input.ts';
import type { GatewayMetrics } from '../metrics.ts';
import type { RequestTiming } from '../request-timing.ts';

/**
 * POST /v1/agents/:agent/:key/:method — call one method of one instance.
 *
 * How the instance key arrives: fastify's router (find-my-way) splits the path
 * on `/` before it percent-decodes each parameter, so a key is sent as one
 * encodeURIComponent-encoded segment and arrives decoded: `a%2Fb` is the key
 * `a/b`, `a%20b` is `a b`, `%C3%A9t%C3%A9` (or raw UTF-8) is `été`, `%25` is
 * `%`, while `+` stays a plus sign (it means a space only in query strings).
 * Malformed percent-encoding (`%E0%A4%A`) is a 400 from the router. An empty
 * segment is the empty key, which checkInstanceKey refuses with a 400. The
 * keys `.` and `..` reach the route when the request line carries them as
 * they are, but WHATWG URL clients (fetch, browsers, light-my-request)
 * resolve dot segments, even percent-encoded ones (`%2E%2E`), before sending,
 * so from those clients such keys are unreachable (curl --path-as-is works).
 */
export const INVOKE_ROUTE = '/v1/agents/:agent/:key/:method';

type RegistryEntry = NonNullable<ReturnType<GatewayRegistry['get']>>;

interface InvokeRoute {
  Params: { agent: string; key: string; method: string };
  Body: Buffer | undefined;
}

export interface InvokeRouteOptions extends CallSource {
  client: GatewayClient;
  registry: GatewayRegistry;
  namespace: string;
  metrics: GatewayMetrics;
  timing: RequestTiming;
  /** Aborted once the gateway has begun to close: calls that still arrive (on open connections) are refused. */
  closing: AbortSignal;
  /** A server span per call when tracing is on; the call then carries the span's traceparent. */
  tracing: Tracing;
}

/** The span of a call through the gateway: the route's template, low in cardinality as OpenTelemetry's HTTP conventions ask. */
const SPAN_NAME = 'POST /v1/agents/{agent}/{key}/{method}';

export function registerInvokeRoute(app: FastifyInstance, options: InvokeRouteOptions): void {
  const { client, registry, namespace, metrics, timing, closing, tracing } = options;

  // The hot path: registry lookups and header parsing, then one NATS request.
  // The result bytes go back to the caller as they came from the pod.
  const invoke = async (request: FastifyRequest<InvokeRoute>, reply: FastifyReply<InvokeRoute>): Promise<FastifyReply<InvokeRoute>> => {
    if (closing.aborted) throw gatewayClosingError();
    const { agent, key, method } = request.params;
    const entry = registry.get(agent);
    if (entry === undefined) throw unknownAgentError(agent, namespace, registry.list().map((known) => known.spec.name));
    const keyProblem = checkInstanceKey(key);
    if (keyProblem !== undefined) throw new ColonyError('invalid_argument', keyProblem);
    if (!isMethodName(method)) throw invalidMethodNameError(agent, method);
    // Without an API record (no pod has published one yet) the runtime answers for unknown methods.
    if (entry.api !== undefined && !Object.hasOwn(entry.api.methods, method)) {
      throw unknownMethodError(agent, method, Object.keys(entry.api.methods));
    }
    const input = readInput(request.body, request.headers[REQUEST_HEADER.contentType]);
    const call = callFromRequest(request.headers, request.params, input, options);
    reply.header(RESPONSE_HEADER.callId, call.callId);
    if (tracing.enabled) return traced(request, reply, call, entry);
    if (acceptsEventStream(request.headers.accept)) return invokeStreaming(request, reply, call, entry);
    return sendResult(request, reply, await client.call(call), entry);
  };

  /** The call within a server span, whose traceparent it carries to the pod (tracing on only: the hot path stays as it is). */
  const traced = async (request: FastifyRequest<InvokeRoute>, reply: FastifyReply<InvokeRoute>, call: CallRequest, entry: RegistryEntry): Promise<FastifyReply<InvokeRoute>> => {
    const { agent, key, method } = request.params;
    const span = tracing.start(SPAN_NAME, call.traceparent, 'server', {
      'http.request.method': 'POST',
      'http.route': '/v1/agents/{agent}/{key}/{method}',
      'colony.agent': agent,
      'colony.key': key,
      'colony.method': method,
      'colony.call_id': call.callId,
    });
    const inSpan = span ? { ...call, traceparent: span.traceparent } : call;
    try {
      const answered = acceptsEventStream(request.headers.accept) ? await invokeStreaming(request, reply, inSpan, entry) : sendResult(request, reply, await client.call(inSpan), entry);
      span?.end(undefined, { 'http.response.status_code': answered.statusCode });
      return answered;
    } catch (error) {
      const code = error instanceof ColonyError ? error.code : 'internal';
      span?.end(code, { 'http.response.status_code': httpStatusOf(code) });
      throw error;
    }
  };

  /** Sends a call's result as the pod gave it: 200 with its JSON, or 204 for none. */
  const sendResult = (
    request: FastifyRequest<InvokeRoute>,
    reply: FastifyReply<InvokeRoute>,
    result: CallResult,
    entry: RegistryEntry,
  ): FastifyReply<InvokeRoute> => {
    const { agent, method } = request.params;
    if (result.waitedMs > 0) {
      reply.header(RESPONSE_HEADER.waitMs, String(Math.round(result.waitedMs)));
      metrics.observeWait(agent, result.waitedMs / 1_000);
    }
    const status = result.data.byteLength === 0 ? 204 : 200;
    // Recorded here, as the reply is about to be sent, rather than in an onResponse hook: the hook
    // machinery cost ~10 % of the gateway's CPU per call. The time counts from the request's arrival (RequestTiming).
    metrics.observe(entry, agent, method, status, timing.secondsSince(request));
    if (status === 204) return reply.code(204).send();
    return reply.header('content-type', JSON_CONTENT_TYPE).send(result.data);
  };

  /**
   * With `Accept: text/event-stream`: a method that streams is answered with
   * Server-Sent Events as its chunks come (decision 21); one that does not, as
   * without the header. Errors before the stream opens are ordinary error responses.
   */
  const invokeStreaming = async (
    request: FastifyRequest<InvokeRoute>,
    reply: FastifyReply<InvokeRoute>,
    call: CallRequest,
    entry: RegistryEntry,
  ): Promise<FastifyReply<InvokeRoute>> => {
    const { agent, method } = request.params;
    const streamed = await client.callStream(call);
    const { result } = streamed;
    if (streamed.kind === 'result') return sendResult(request, reply, result, entry);
    if (result.waitedMs > 0) metrics.observeWait(agent, result.waitedMs / 1_000);
    reply.hijack();
    const headers: Record<string, string> = { [RESPONSE_HEADER.callId]: call.callId };
    if (result.waitedMs > 0) headers[RESPONSE_HEADER.waitMs] = String(Math.round(result.waitedMs));
    await writeEventStream(reply.raw, streamed.chunks, { headers, closing });
    metrics.observe(entry, agent, method, 200, timing.secondsSince(request));
    return reply;
  };

  app.post<InvokeRoute>(INVOKE_ROUTE, invoke);
}

/**
 * Records a call to the invoke route that ended in an error (called by the
 * error handler, which also sees errors raised before the handler ran, such
 * as a body over the limit).
 */
export function observeFailedInvoke(
  request: FastifyRequest,
  statusCode: number,
  seconds: number,
  metrics: GatewayMetrics,
  registry: GatewayRegistry,
): void {
  if (request.routeOptions.url !== INVOKE_ROUTE) return;
  const { agent, method } = request.params as InvokeRoute['Params'];
  metrics.observe(registry.get(agent), agent, method, statusCode, seconds);
}
