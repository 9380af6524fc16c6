import type { FastifyReply } from 'fastify';
import { ColonyError } from '../agent-runtime/protocol/errors.ts';
import type { ErrorCode } from '../agent-runtime/protocol/errors.ts';
import { errorField } from '../agent-runtime/observability/log.ts';
import type { StructuredLogger } from '../agent-runtime/observability/log.ts';

/**
 * Every error the gateway answers with is a ColonyError, sent as
 * `{"error": {"code", "message"}}` with the HTTP status of its code
 * (ERROR_CODES in protocol/errors.ts). This file turns whatever went wrong —
 * our own checks, fastify's body and URL errors, replies from the runtime,
 * bugs — into one of those.
 */

/** Retry-After for 503 and 429 when the error does not say how long to wait. */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;
/** Longest agent name, key or URL quoted back in an error message. */
const MAX_QUOTED_CHARS = 64;
/** Up to this many agents are listed in a "there is no agent" message. */
const MAX_LISTED_AGENTS = 10;

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** What the body-size error needs to explain itself. */
export interface BodyLimits {
  /** Largest request body accepted, bytes. */
  bodyLimitBytes: number;
  /** The NATS server's max_payload, bytes. */
  maxPayloadBytes: number;
}

/** `text` for an error message, cut to a readable length. */
export function quote(text: string): string {
  return text.length > MAX_QUOTED_CHARS ? `"${text.slice(0, MAX_QUOTED_CHARS)}…"` : `"${text}"`;
}

/** There is no `kind` named `name`; `known` are those of that kind there are, listed when few. */
function notDeployedError(kind: 'agent' | 'workflow', name: string, namespace: string, known: readonly string[]): ColonyError {
  let hint: string;
  if (known.length === 0) hint = `no ${kind}s are deployed in namespace "${namespace}" yet`;
  else if (known.length <= MAX_LISTED_AGENTS) hint = `the ${kind}s are: ${known.join(', ')}`;
  else hint = `GET /v1/agents lists its ${known.length} ${kind}s`;
  return new ColonyError('not_found', `there is no ${kind} named ${quote(name)} in namespace "${namespace}"; ${hint}`);
}

export function unknownAgentError(agent: string, namespace: string, known: readonly string[]): ColonyError {
  return notDeployedError('agent', agent, namespace, known);
}

export function unknownMethodError(agent: string, method: string, methods: readonly string[]): ColonyError {
  const hint = methods.length === 0 ? 'it publishes no methods' : `its methods are: ${methods.join(', ')}`;
  return new ColonyError('not_found', `agent "${agent}" has no method ${quote(method)}; ${hint}`);
}

export function invalidMethodNameError(agent: string, method: string): ColonyError {
  return new ColonyError(
    'not_found',
    `agent "${agent}" has no method ${quote(method)}: method names match [A-Za-z_][A-Za-z0-9_]* (at most 128 characters)`,
  );
}

/** `known`: the workflows whose pods have said they are workflows. */
export function unknownWorkflowError(workflow: string, namespace: string, known: readonly string[]): ColonyError {
  return notDeployedError('workflow', workflow, namespace, known);
}

export function notAWorkflowError(agent: string): ColonyError {
  return new ColonyError(
    'not_found',
    `${quote(agent)} is an agent, not a workflow: it has no workflow instances; call its methods with POST /v1/agents/${agent}/{key}/{method}`,
  );
}

export function noSuchWorkflowError(workflow: string, id: string): ColonyError {
  return new ColonyError(
    'not_found',
    `there is no workflow instance ${quote(`${workflow}/${id}`)}: it was never started, or it was purged; start one with POST /v1/workflows/${workflow}/{id}`,
  );
}

/** `contentType` null: the header is there but is not a media type. */
export function wrongContentTypeError(contentType: string | undefined | null): ColonyError {
  let sent: string;
  if (contentType === undefined) sent = 'has no content-type';
  else if (contentType === null) sent = 'has a content-type header that is not a media type';
  else sent = `has content-type ${quote(contentType)}`;
  return new ColonyError(
    'invalid_argument',
    `the request body ${sent}; send the method's input as JSON with the header content-type: application/json (or no body for no input)`,
  );
}

export function payloadTooLargeError(limits: BodyLimits): ColonyError {
  return new ColonyError(
    'payload_too_large',
    `the request body is larger than ${limits.bodyLimitBytes} bytes, the most one call can carry ` +
      `(the NATS server's max_payload of ${limits.maxPayloadBytes} bytes less room for headers); ` +
      'send a smaller input, or raise max_payload in the NATS server configuration',
  );
}

/** `allowed`: the methods the path takes, as its Allow header lists them. */
export function methodNotAllowedError(method: string, url: string, allowed: readonly string[]): ColonyError {
  const takes = allowed.length <= 1 ? allowed.join('') : `${allowed.slice(0, -1).join(', ')} and ${allowed.at(-1)}`;
  return new ColonyError(
    'method_not_allowed',
    `${method} is not allowed on ${quote(url)}, which takes ${takes}; send the request with ${allowed[0] ?? 'another method'}`,
  );
}

/** A streamed reply the gateway ends early because it shuts down (the method's signal was aborted). */
export function streamCutByShutdownError(): ColonyError {
  return new ColonyError('unavailable', 'the gateway is shutting down: the stream ended early and its method was told to stop; call again', {
    retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS,
  });
}

/** A call that arrives while the gateway shuts down (on a connection opened before). */
export function gatewayClosingError(): ColonyError {
  return new ColonyError(
    'unavailable',
    'the gateway is shutting down and takes no new calls; send the call again (on a new connection it reaches a gateway that is running)',
    { retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS },
  );
}

/** A fastify or Node error: has a code such as FST_ERR_CTP_BODY_TOO_LARGE and maybe a statusCode. */
interface CodedError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}

const CODE_BY_CLIENT_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  409: 'failed_precondition',
  413: 'payload_too_large',
  415: 'invalid_argument',
  429: 'resource_exhausted',
};

/**
 * Maps anything thrown while handling a request to the ColonyError the caller
 * sees. `expected` is false for errors that are bugs or surprises (they map to
 * 500 internal and must be logged with their stack).
 */
export function toColonyError(error: unknown, limits: BodyLimits): { error: ColonyError; expected: boolean } {
  if (error instanceof ColonyError) return { error, expected: true };
  const coded = (typeof error === 'object' && error !== null ? error : {}) as CodedError;
  switch (coded.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { error: payloadTooLargeError(limits), expected: true };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { error: wrongContentTypeError(null), expected: true };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        error: new ColonyError('invalid_argument', 'the request body does not have the length its content-length header says'),
        expected: true,
      };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        error: new ColonyError(
          'invalid_argument',
          'a segment of the URL path is longer than the gateway reads; an instance key is at most 256 bytes, percent-encoded as one segment',
        ),
        expected: true,
      };
    case 'FST_ERR_BAD_URL':
      return {
        error: new ColonyError(
          'invalid_argument',
          'the URL is not valid percent-encoded UTF-8; encode each path segment with encodeURIComponent (or an equivalent)',
        ),
        expected: true,
      };
  }
  const status = typeof coded.statusCode === 'number' ? coded.statusCode : 500;
  if (status >= 400 && status < 500) {
    const mapped = CODE_BY_CLIENT_STATUS[status] ?? 'invalid_argument';
    const message = typeof coded.message === 'string' && coded.message ? coded.message : 'the request was rejected';
    return { error: new ColonyError(mapped, message, { cause: error }), expected: true };
  }
  return {
    error: new ColonyError('internal', 'the gateway failed while handling this request; its logs have the details', { cause: error }),
    expected: false,
  };
}

/** The JSON error body an HTTP caller receives. */
export function errorPayload(error: ColonyError): string {
  return JSON.stringify({ error: error.toBody() });
}

/** Retry-After value (whole seconds, at least 1) for a retryable error, else undefined. */
export function retryAfterOf(error: ColonyError): string | undefined {
  if (error.code !== 'unavailable' && error.code !== 'resource_exhausted') return undefined;
  const seconds = error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  return String(Math.max(1, Math.ceil(seconds)));
}

/** The headers of a response carrying `error`: its content-type, and Retry-After or WWW-Authenticate where its code calls for them. */
export function errorHeaders(error: ColonyError): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': JSON_CONTENT_TYPE };
  const retryAfter = retryAfterOf(error);
  if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
  if (error.code === 'unauthenticated') headers['www-authenticate'] = 'Bearer realm="colony"';
  return headers;
}

/** Sends `error` in the gateway's error shape. */
export function sendError(reply: FastifyReply, error: ColonyError): FastifyReply {
  return reply.code(error.status).headers(errorHeaders(error)).send(errorPayload(error));
}

/** Maps, logs when unexpected, and sends whatever went wrong. */
export function replyWithError(
  reply: FastifyReply,
  thrown: unknown,
  limits: BodyLimits,
  log: StructuredLogger,
): FastifyReply {
  const { error, expected } = toColonyError(thrown, limits);
  if (!expected) {
    log.error('request failed unexpectedly', { method: reply.request.method, url: reply.request.url, ...errorField(thrown) });
  }
  return sendError(reply, error);
}
