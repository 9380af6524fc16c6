/** Where `colony dev` serves the gateway by default. */
export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8080';

/** The --url and --token options (for parseArgs) of every command that talks to the gateway: $COLONY_URL and $COLONY_TOKEN by default. */
export function gatewayOptions(env: NodeJS.ProcessEnv) {
  return {
    url: { type: 'string', default: env.COLONY_URL ?? DEFAULT_GATEWAY_URL },
    token: { type: 'string', default: env.COLONY_TOKEN },
  } as const;
}

/** The options of a command that reads and changes through the gateway (for parseArgs): --url, --token, --json, --timeout, --idempotency-key. */
export function requestOptions(env: NodeJS.ProcessEnv) {
  return {
    ...gatewayOptions(env),
    json: { type: 'boolean', default: false },
    timeout: { type: 'string' },
    'idempotency-key': { type: 'string' },
  } as const;
}

/** What requestOptions read. */
export interface RequestOptions {
  url: string;
  token: string | undefined;
  json: boolean;
  timeout: string | undefined;
  idempotencyKey: string | undefined;
}

export function requestOptionsOf(values: { url: string; token?: string | undefined; json: boolean; timeout?: string | undefined; 'idempotency-key'?: string | undefined }): RequestOptions {
  return { url: values.url, token: values.token, json: values.json, timeout: values.timeout, idempotencyKey: values['idempotency-key'] };
}

/** Headers that authenticate the CLI to a gateway that requires a token (COLONY_API_TOKENS). */
function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** The headers of a call or a workflow verb: its deadline (`--timeout`) and its idempotency key. */
export function callHeaders(options: { timeout: string | undefined; idempotencyKey: string | undefined }): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.timeout) headers['x-colony-timeout'] = options.timeout;
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  return headers;
}

/** A request the CLI sends to the gateway. */
export interface GatewayRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path and query, percent-encoded: `/v1/workflows/order/o-1?wait=10s`. */
  path: string;
  /** JSON text. */
  body?: string | undefined;
  headers?: Record<string, string>;
}

/** Sends a request to the gateway; an unreachable gateway is an error saying how to point the CLI at one. */
export async function sendToGateway(url: string, request: GatewayRequest, token?: string): Promise<Response> {
  const headers: Record<string, string> = { ...request.headers, ...authHeaders(token) };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  try {
    return await fetch(`${url.replace(/\/$/, '')}${request.path}`, { method: request.method, headers, body: request.body });
  } catch (error) {
    const reason = String((error as Error).cause ?? (error as Error).message);
    throw new Error(`could not reach the gateway at ${url} (${reason}); is \`colony dev\` running? Set --url or COLONY_URL`, { cause: error });
  }
}

/** The gateway's error answer as `<code>: <message>`; the text as it is when it is not one. */
export function gatewayErrorText(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error) return `${body.error.code}: ${body.error.message}`;
  } catch {
    // not JSON
  }
  return text;
}

/**
 * Sends a request to the gateway and answers its JSON, turning its errors
 * (`<path>: <status> <code>: <message>`) and an unreachable gateway into
 * clear messages.
 */
export async function gatewayRequest(url: string, request: GatewayRequest, token?: string): Promise<unknown> {
  const response = await sendToGateway(url, request, token);
  const text = await response.text();
  if (!response.ok) {
    const what = request.method === 'GET' ? request.path : `${request.method} ${request.path}`;
    throw new Error(`${what}: ${response.status} ${gatewayErrorText(text)}`);
  }
  return text === '' ? undefined : JSON.parse(text);
}

/** GETs JSON from the gateway (see gatewayRequest). */
export async function gatewayJson(url: string, path: string, token?: string): Promise<unknown> {
  return gatewayRequest(url, { method: 'GET', path }, token);
}
