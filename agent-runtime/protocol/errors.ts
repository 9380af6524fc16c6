/**
 * The one table of Colony error codes. Every error that crosses a process
 * boundary carries one of these codes; the gateway maps each 1:1 to an HTTP
 * status. `retryable` says whether a caller may safely try the same call again
 * (with the same call id) and expect a different outcome.
 */
export const ERROR_CODES = {
  invalid_argument: { status: 400, retryable: false },
  unauthenticated: { status: 401, retryable: false },
  permission_denied: { status: 403, retryable: false },
  not_found: { status: 404, retryable: false },
  failed_precondition: { status: 409, retryable: false },
  /** The call was refused to break a deadlock between two call chains; the caller may retry later. */
  aborted: { status: 409, retryable: false },
  payload_too_large: { status: 413, retryable: false },
  resource_exhausted: { status: 429, retryable: true },
  method_failed: { status: 500, retryable: false },
  internal: { status: 500, retryable: false },
  unavailable: { status: 503, retryable: true },
  deadline_exceeded: { status: 504, retryable: false },
  /** The HTTP method is not one the path takes; the response's Allow header lists those it does. */
  method_not_allowed: { status: 405, retryable: false },
  /** The HTTP request did not arrive in full in time; sent again, it may. */
  request_timeout: { status: 408, retryable: true },
  /** The HTTP request's header section is over the server's limit. */
  headers_too_large: { status: 431, retryable: false },
  /** The method's result is larger than one reply can carry (the NATS payload limit); the turn rolled back. */
  result_too_large: { status: 500, retryable: false },
  /** The instance's state, as JSON, no longer fits in its stored record; the turn rolled back. */
  state_too_large: { status: 507, retryable: false },
  /** A repeat of a call that already ran, whose result was too large to keep for repeats: it is not run again. */
  result_not_kept: { status: 409, retryable: false },
  /** An idempotency key (call id) sent again with another method or input than the call it first named. */
  idempotency_key_reused: { status: 422, retryable: false },
  /** The call was running when its pods died (twice): it is not sent again. */
  crashed: { status: 502, retryable: false },
  /** The caller of a streamed call went away (an HTTP client disconnected); the method's signal was aborted. */
  cancelled: { status: 499, retryable: false },
  /** A workflow instance with this id exists already. */
  already_exists: { status: 409, retryable: false },
  /** A workflow's code took other steps on replay than its journal records (the code changed under a running workflow). */
  nondeterministic: { status: 500, retryable: false },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/** The wire form of an error: the body of an error reply and of an HTTP error response. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Seconds a caller should wait before retrying (503, 429). */
  retryAfterSeconds?: number;
}

export interface ColonyErrorOptions {
  cause?: unknown;
  retryAfterSeconds?: number;
}

/** An error with a stable code, used by every component of Colony. */
export class ColonyError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: ColonyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ColonyError';
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.retryAfterSeconds !== undefined) body.retryAfterSeconds = this.retryAfterSeconds;
    return body;
  }

  static fromBody(body: unknown): ColonyError {
    if (typeof body === 'object' && body !== null) {
      const { code, message, retryAfterSeconds } = body as Record<string, unknown>;
      if (isErrorCode(code) && typeof message === 'string') {
        return new ColonyError(code, message, {
          retryAfterSeconds: typeof retryAfterSeconds === 'number' ? retryAfterSeconds : undefined,
        });
      }
    }
    return new ColonyError('internal', 'received a malformed error reply');
  }
}
