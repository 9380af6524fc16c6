import { LogController } from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';

const RECEIVED_AT_MS = Symbol('colony.receivedAtMs');

interface StampedRequest {
  [RECEIVED_AT_MS]?: number;
}

/**
 * When each request arrived, for the request-duration metric.
 *
 * Fastify's `reply.elapsedTime` is 0 here: fastify starts that clock only when
 * it listens for the end of the response, which it does only with its logger
 * on, an onResponse hook or a handler timeout, and hooks cost the gateway
 * ~10 % of its CPU per call (decision 6). The one thing fastify calls for
 * every request without hooks is its log controller's `incomingRequest`: right
 * after it builds the request, before any onRequest hook and before it reads
 * the body — for routed requests, for 404s and for malformed URLs alike. This
 * controller reads a monotonic clock there, once per request. Fastify's
 * request logging stays off, as it was: the gateway logs only unexpected
 * errors, through its own logger.
 */
export class RequestTiming extends LogController {
  readonly #nowMs: () => number;

  /** `nowMs`: a monotonic clock in milliseconds, such as performance.now. */
  constructor(nowMs: () => number) {
    super({ disableRequestLogging: true });
    this.#nowMs = nowMs;
  }

  override incomingRequest(request: FastifyRequest, _reply: FastifyReply): void {
    (request as StampedRequest)[RECEIVED_AT_MS] = this.#nowMs();
  }

  /** Seconds since `request` arrived (0 for a request fastify did not announce). */
  secondsSince(request: FastifyRequest): number {
    const receivedAtMs = (request as StampedRequest)[RECEIVED_AT_MS];
    return receivedAtMs === undefined ? 0 : (this.#nowMs() - receivedAtMs) / 1_000;
  }
}
