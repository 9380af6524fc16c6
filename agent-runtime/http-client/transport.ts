import { ColonyHttpError, responseError } from './errors.ts';

/** Where the client sends its requests. */
export interface ClientOptions {
  /** The gateway's URL, e.g. `http://localhost:8080` (a path after the host is kept as a prefix). */
  url: string;
  /** An API token, for a gateway that requires one (COLONY_API_TOKENS): sent as `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** The fetch to send with (default: the global one, in browsers and Node 20+). */
  fetch?: typeof fetch;
}

/** What a caller may say about one call or workflow verb (the gateway's request headers). */
export interface HttpCallOptions {
  /** The call's deadline, ms (`X-Colony-Timeout`; the gateway's default is 30 s, at most 15 min). For a stream, of the whole stream. */
  timeoutMs?: number;
  /** `Idempotency-Key`: a retry with the same key runs the call at most once and gets the first reply. */
  idempotencyKey?: string;
  /** A W3C `traceparent`: the call's spans join the caller's trace. */
  traceparent?: string;
  /** Aborts the request (fetch rejects with the signal's reason, an AbortError by default). */
  signal?: AbortSignal;
}

/** One request to the gateway. */
export interface GatewayRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path and query, each segment percent-encoded: `/v1/agents/counter/alice/increment`. */
  path: string;
  /** Sent as JSON; undefined sends no body. */
  body?: unknown;
  accept?: string;
  /** What the request does, for error messages: `counter.increment on alice`. */
  what: string;
}

/** `/a/b/c` from raw segments, each percent-encoded (a key may hold `/`, spaces, any UTF-8). */
export function pathOf(...segments: string[]): string {
  return segments.map((segment) => `/${encodeURIComponent(segment)}`).join('');
}

/**
 * Sends `request` with the call's headers. Resolves with a 2xx response;
 * rejects with the ColonyHttpError of any other, with one of code
 * `unavailable` and status 0 when the gateway could not be reached, and with
 * the signal's reason when the caller aborted.
 */
export async function send(client: ClientOptions, request: GatewayRequest, call: HttpCallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (client.token) headers.authorization = `Bearer ${client.token}`;
  if (call.timeoutMs !== undefined) headers['x-colony-timeout'] = String(Math.ceil(call.timeoutMs));
  if (call.idempotencyKey !== undefined) headers['idempotency-key'] = call.idempotencyKey;
  if (call.traceparent !== undefined) headers.traceparent = call.traceparent;
  if (request.accept !== undefined) headers.accept = request.accept;
  let body: string | undefined;
  if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] = 'application/json';
  }
  const base = client.url.replace(/\/+$/, '');
  let response: Response;
  try {
    response = await (client.fetch ?? globalThis.fetch)(`${base}${request.path}`, { method: request.method, headers, body, signal: call.signal });
  } catch (error) {
    if (call.signal?.aborted) throw error;
    const reason = error instanceof Error ? String(error.cause ?? error.message) : String(error);
    throw new ColonyHttpError('unavailable', `${request.what}: could not reach the gateway at ${base} (${reason}); is it running, and is the URL right?`, { status: 0, cause: error });
  }
  if (!response.ok) throw await responseError(response, request.what);
  return response;
}

/** The JSON of a response: undefined for an empty one (204). */
export async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  return text === '' ? undefined : JSON.parse(text);
}
