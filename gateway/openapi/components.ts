import { ERROR_CODES } from '../../agent-runtime/protocol/errors.ts';
import type { ErrorCode } from '../../agent-runtime/protocol/errors.ts';
import { DEFAULT_CALL_TIMEOUT_MS, MAX_CALL_TIMEOUT_MS, MAX_KEY_BYTES } from '../../agent-runtime/protocol/limits.ts';
import { MAX_IDEMPOTENCY_KEY_CHARS, REQUEST_HEADER, RESPONSE_HEADER } from '../call-headers.ts';

/**
 * The shared parts of the gateway's OpenAPI document (components): the error
 * shape and one response per HTTP status of the error table, the call headers,
 * the bearer scheme. The paths refer to them with `ref`.
 */

/** A piece of the OpenAPI document, as JSON. */
export type OpenApiObject = Record<string, unknown>;

/** Codes no HTTP response carries: `cancelled` ends a stream whose client went away, `nondeterministic` is a failed workflow's `error`. */
const NOT_IN_RESPONSES: readonly ErrorCode[] = ['cancelled', 'nondeterministic'];
/** Codes of requests the route never sees the way the document describes them: another HTTP method, a request cut short or too large in its headers. */
const ANY_ROUTE: readonly ErrorCode[] = ['method_not_allowed', 'request_timeout', 'headers_too_large'];

/** The name of the bearer scheme in components.securitySchemes. */
export const BEARER_SCHEME = 'bearerToken';

export function ref(kind: 'schemas' | 'responses' | 'parameters' | 'headers', name: string): OpenApiObject {
  return { $ref: `#/components/${kind}/${name}` };
}

/** The error codes of each HTTP status that responses carry, from the one table (ERROR_CODES), by status. */
export function codesByStatus(): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const [code, { status }] of Object.entries(ERROR_CODES) as [ErrorCode, { status: number }][]) {
    if (NOT_IN_RESPONSES.includes(code)) continue;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return new Map([...byStatus].sort(([a], [b]) => a - b));
}

/** Statuses a call to an instance (a method, a workflow verb) may answer with, besides `default`. */
export function callErrorStatuses(): number[] {
  const statuses = new Set<number>();
  for (const [status, codes] of codesByStatus()) if (codes.some((code) => !ANY_ROUTE.includes(code))) statuses.add(status);
  return [...statuses];
}

/** Statuses a read of the registry or of a workflow record may answer with, besides `default`. */
export const READ_ERROR_STATUSES: readonly number[] = [ERROR_CODES.invalid_argument.status, ERROR_CODES.not_found.status, ERROR_CODES.unavailable.status];

/**
 * The error responses of an operation: each of `statuses` (and 401 when the
 * gateway requires a token), and `default` for the other errors of the table
 * (408 and 431 from the HTTP layer, 405 for another method on the path).
 */
export function errorResponses(statuses: readonly number[], authRequired: boolean): OpenApiObject {
  const all = new Set(statuses);
  if (authRequired) all.add(ERROR_CODES.unauthenticated.status);
  const responses: OpenApiObject = {};
  for (const status of [...all].sort((a, b) => a - b)) responses[String(status)] = ref('responses', `Error${status}`);
  responses.default = ref('responses', 'Error');
  return responses;
}

const ERROR_SCHEMAS: OpenApiObject = {
  Error: {
    type: 'object',
    description: 'Every error the gateway answers, whichever layer refused the request (the route, the router, the HTTP parser).',
    required: ['error'],
    properties: { error: ref('schemas', 'ErrorBody') },
  },
  ErrorBody: {
    type: 'object',
    required: ['code', 'message'],
    properties: {
      code: { type: 'string', enum: Object.keys(ERROR_CODES), description: 'Stable: a program may act on it. Each code has one HTTP status.' },
      message: { type: 'string', description: 'What happened, to what, and what to do next; for people.' },
      retryAfterSeconds: { type: 'number', description: 'How long to wait before trying again (429, 503), as the Retry-After header says.' },
    },
  },
};

const ERROR_HEADERS: Readonly<Record<number, Record<string, OpenApiObject>>> = {
  [ERROR_CODES.unauthenticated.status]: { 'WWW-Authenticate': ref('headers', 'WwwAuthenticate') },
  [ERROR_CODES.resource_exhausted.status]: { 'Retry-After': ref('headers', 'RetryAfter') },
  [ERROR_CODES.unavailable.status]: { 'Retry-After': ref('headers', 'RetryAfter') },
  [ERROR_CODES.method_not_allowed.status]: { Allow: ref('headers', 'Allow') },
};

function errorResponse(description: string, headers?: Record<string, OpenApiObject>, code?: ErrorCode): OpenApiObject {
  const retryAfter = code === 'resource_exhausted' || code === 'unavailable' ? { retryAfterSeconds: 1 } : {};
  const example = code ? { example: { error: { code, message: 'what happened, to what, and what to do next', ...retryAfter } } } : {};
  return { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema: ref('schemas', 'Error'), ...example } } };
}

/** One response per status of the error table, `Error<status>`, naming its codes; and `Error` for any. */
function errorResponseComponents(): OpenApiObject {
  const responses: OpenApiObject = { Error: errorResponse('An error: `{"error": {"code", "message"}}`; the status is its code’s (README, "The HTTP API").') };
  for (const [status, codes] of codesByStatus()) {
    const named = codes.map((code) => `\`${code}\`${ERROR_CODES[code].retryable ? ' (retryable)' : ''}`).join(', ');
    responses[`Error${status}`] = errorResponse(`Error: ${named}.`, ERROR_HEADERS[status], codes[0]);
  }
  return responses;
}

const duration = (ms: number): string => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1_000} s`);

const PARAMETERS: OpenApiObject = {
  Key: {
    name: 'key',
    in: 'path',
    required: true,
    description: `The instance: any UTF-8 up to ${MAX_KEY_BYTES} bytes, percent-encoded as one path segment (\`tenant%2F7\` is the key \`tenant/7\`). Instances exist as soon as they are addressed.`,
    schema: { type: 'string', minLength: 1 },
  },
  WorkflowId: {
    name: 'id',
    in: 'path',
    required: true,
    description: `The workflow instance’s id (its key): any UTF-8 up to ${MAX_KEY_BYTES} bytes, percent-encoded as one path segment.`,
    schema: { type: 'string', minLength: 1 },
  },
  Timeout: {
    name: REQUEST_HEADER.timeout,
    in: 'header',
    description: `The call’s deadline: milliseconds (\`1500\`) or a duration with a unit (\`500ms\`, \`5s\`, \`2m\`); default ${duration(DEFAULT_CALL_TIMEOUT_MS)}, at most ${duration(MAX_CALL_TIMEOUT_MS)}. For a streamed reply, of the whole stream.`,
    schema: { type: 'string', pattern: '^\\d+(\\.\\d+)?(ms|s|m)?$' },
  },
  IdempotencyKey: {
    name: REQUEST_HEADER.idempotencyKey,
    in: 'header',
    description: 'The call’s id: a repeat with the same key is answered with the first result instead of running again (a UUID is a good choice). The same key with another method or input is refused (422).',
    schema: { type: 'string', minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_CHARS, pattern: '^[\\x21-\\x7e]+$' },
  },
  Traceparent: {
    name: REQUEST_HEADER.traceparent,
    in: 'header',
    description: 'W3C trace context, passed on to the agent’s pod (a malformed one is ignored).',
    schema: { type: 'string' },
  },
};

const HEADERS: OpenApiObject = {
  CallId: { description: 'The call’s id: the Idempotency-Key, or the one the gateway made. Send it as Idempotency-Key to retry safely.', schema: { type: 'string' } },
  WaitMs: { description: 'How long the call waited for a pod to take its partition (a start from zero, a handoff), ms.', schema: { type: 'integer' } },
  RetryAfter: { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } },
  WwwAuthenticate: { description: '`Bearer realm="colony"`', schema: { type: 'string' } },
  Allow: { description: 'The methods the path takes.', schema: { type: 'string' } },
  Location: { description: 'The started workflow instance’s URL.', schema: { type: 'string' } },
};

/** The headers of a call's successful response. */
export const CALL_RESPONSE_HEADERS: OpenApiObject = {
  [RESPONSE_HEADER.callId]: ref('headers', 'CallId'),
  [RESPONSE_HEADER.waitMs]: ref('headers', 'WaitMs'),
};

/** The parameters every call to an instance takes (a method, a workflow verb), after its path's. */
export const CALL_PARAMETERS: readonly OpenApiObject[] = [ref('parameters', 'Timeout'), ref('parameters', 'IdempotencyKey'), ref('parameters', 'Traceparent')];

/** components: the shared schemas (with `schemas`, those the paths add), responses, parameters, headers and the bearer scheme. */
export function components(schemas: OpenApiObject, authRequired: boolean): OpenApiObject {
  return {
    schemas: { ...ERROR_SCHEMAS, AnyJson: { description: 'Any JSON value.' }, ...schemas },
    responses: errorResponseComponents(),
    parameters: PARAMETERS,
    headers: HEADERS,
    ...(authRequired
      ? { securitySchemes: { [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', description: 'One of the gateway’s API tokens (COLONY_API_TOKENS).' } } }
      : {}),
  };
}
