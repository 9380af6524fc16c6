/** What the gateway answered. */
export interface Answer {
  status: number;
  body: { error?: { code: string; message: string } } & Record<string, unknown>;
  /** How long it took, ms. */
  ms: number;
}

/** The path of a call to `method` of the instance `agent`/`key`, each percent-encoded as one segment. */
export function callPath(agent: string, key: string, method: string): string {
  return `/v1/agents/${encodeURIComponent(agent)}/${encodeURIComponent(key)}/${encodeURIComponent(method)}`;
}

/** Sends a request to the gateway as a user would (a body as JSON, JSON back) and never throws on an error status. */
export async function requestJson(gatewayUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const started = Date.now();
  const response = await fetch(`${gatewayUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Answer['body']) : {}, ms: Date.now() - started };
}

/** POSTs a call to the gateway (requestJson). */
export function postCall(gatewayUrl: string, agent: string, key: string, method: string, input?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return requestJson(gatewayUrl, 'POST', callPath(agent, key, method), input, headers);
}

/** The result of a call that must succeed; throws with the status and body otherwise. */
export async function callOk(gatewayUrl: string, agent: string, key: string, method: string, input?: unknown, timeout = '20s'): Promise<unknown> {
  const answer = await postCall(gatewayUrl, agent, key, method, input, { 'x-colony-timeout': timeout });
  if (answer.status >= 300) throw new Error(`${method} on ${key}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.status === 204 ? undefined : answer.body;
}
