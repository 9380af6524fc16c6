/** Headers that authenticate the CLI to a gateway that requires a token (COLONY_API_TOKENS). */
export function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** A request the CLI sends to the gateway. */
export interface GatewayRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path and query, percent-encoded: `/v1/workflows/order/o-1?wait=10s`. */
  path: string;
  /** JSON text. */
  body?: string | undefined;
  headers?: Record<string, string>;
}

/**
 * Sends a request to the gateway and answers its JSON, turning its errors
 * (`<path>: <status> <code>: <message>`) and an unreachable gateway into
 * clear messages.
 */
export async function gatewayRequest(url: string, request: GatewayRequest, token?: string): Promise<unknown> {
  const headers: Record<string, string> = { ...request.headers, ...authHeaders(token) };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${url.replace(/\/$/, '')}${request.path}`, { method: request.method, headers, body: request.body });
  } catch (error) {
    const reason = String((error as Error).cause ?? (error as Error).message);
    throw new Error(`could not reach the gateway at ${url} (${reason}); is \`colony dev\` running? Set --url or COLONY_URL`, { cause: error });
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (body.error) message = `${body.error.code}: ${body.error.message}`;
    } catch {
      // not JSON
    }
    const what = request.method === 'GET' ? request.path : `${request.method} ${request.path}`;
    throw new Error(`${what}: ${response.status} ${message}`);
  }
  return text === '' ? undefined : JSON.parse(text);
}

/** GETs JSON from the gateway (see gatewayRequest). */
export async function gatewayJson(url: string, path: string, token?: string): Promise<unknown> {
  return gatewayRequest(url, { method: 'GET', path }, token);
}
