import { ColonyError, ERROR_CODES, isErrorCode } from '../protocol/errors.ts';
import type { ErrorCode } from '../protocol/errors.ts';

export interface ColonyHttpErrorOptions {
  /** The HTTP status of the response; 0 when none arrived. Default: the status of `code` in the error table. */
  status?: number;
  retryAfterSeconds?: number | undefined;
  /** The call's id (X-Colony-Call-Id) when the gateway gave one. */
  callId?: string | undefined;
  cause?: unknown;
}

/**
 * A call through the gateway that failed: `code` is one of Colony's error
 * codes (protocol/errors.ts), `status` the HTTP status it came with (0 when
 * the gateway was not reached), `retryAfterSeconds` how long to wait before
 * a retry when the gateway said (429, 503), `callId` the id to retry with
 * (as `idempotencyKey`) so that a call that did run is not run twice. It is a
 * ColonyError, as agents' and colony/testing's errors are.
 */
export class ColonyHttpError extends ColonyError {
  readonly #status: number;
  readonly callId: string | undefined;

  constructor(code: ErrorCode, message: string, options: ColonyHttpErrorOptions = {}) {
    super(code, message, { cause: options.cause, retryAfterSeconds: options.retryAfterSeconds });
    this.name = 'ColonyHttpError';
    this.#status = options.status ?? ERROR_CODES[code].status;
    this.callId = options.callId;
  }

  override get status(): number {
    return this.#status;
  }
}

/** The code of an error answer that is not Colony's (a proxy's, a load balancer's), by its HTTP status. */
const CODE_OF_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  413: 'payload_too_large',
  429: 'resource_exhausted',
  431: 'headers_too_large',
  502: 'unavailable',
  503: 'unavailable',
  504: 'deadline_exceeded',
};

/** Colony's `{code, message, retryAfterSeconds}` in `value`, or undefined when it is not one. */
function errorBodyOf(value: unknown): { code: ErrorCode; message: string; retryAfterSeconds?: unknown } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { code, message, retryAfterSeconds } = value as Record<string, unknown>;
  return isErrorCode(code) && typeof message === 'string' ? { code, message, retryAfterSeconds } : undefined;
}

/** The `{"error": {...}}` of an `event: error` of a streamed reply, as an error. */
export function streamEndError(data: string, callId: string | undefined): ColonyHttpError {
  let body: unknown;
  try {
    body = (JSON.parse(data) as { error?: unknown }).error;
  } catch {
    body = undefined;
  }
  const error = errorBodyOf(body);
  if (!error) return new ColonyHttpError('internal', `the stream ended with an error event that is not Colony's: ${data.slice(0, 200)}`, { callId });
  const retryAfterSeconds = typeof error.retryAfterSeconds === 'number' ? error.retryAfterSeconds : undefined;
  return new ColonyHttpError(error.code, error.message, { retryAfterSeconds, callId });
}

/** The error a response with a status other than 2xx carries (`{"error": {code, message}}`), or one made from its status. */
export async function responseError(response: Response, what: string): Promise<ColonyHttpError> {
  const { status } = response;
  const callId = response.headers.get('x-colony-call-id') ?? undefined;
  const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
  const text = await response.text().catch(() => '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const error = errorBodyOf((parsed as { error?: unknown } | undefined)?.error);
  let retryAfterSeconds = Number.isFinite(retryAfter) ? retryAfter : undefined;
  if (typeof error?.retryAfterSeconds === 'number') retryAfterSeconds = error.retryAfterSeconds;
  if (error) return new ColonyHttpError(error.code, error.message, { status, retryAfterSeconds, callId });
  const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return new ColonyHttpError(
    CODE_OF_STATUS[status] ?? 'internal',
    `${what}: the server answered ${status}${response.statusText ? ` ${response.statusText}` : ''} without a Colony error${shown ? ` (${shown})` : ''}; is the URL a Colony gateway's?`,
    { status, retryAfterSeconds, callId },
  );
}
