/** Headers that authenticate the CLI to a gateway that requires a token (COLONY_API_TOKENS). */
export function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** GETs JSON from the gateway, turning its errors and an unreachable gateway into clear messages. */
export async function gatewayJson(url: string, path: string, token?: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${url.replace(/\/$/, '')}${path}`, { headers: authHeaders(token) });
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
    throw new Error(`${path}: ${response.status} ${message}`);
  }
  return JSON.parse(text);
}
