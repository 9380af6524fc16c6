/** What a call through the gateway answered. */
export interface Answer {
  status: number;
  body: { error?: { code: string; message: string } } & Record<string, unknown>;
  /** How long it took, ms. */
  ms: number;
}

/** POSTs a call to the gateway as a user would (JSON in, JSON out) and never throws on an error status. */
export async function postCall(
  gatewayUrl: string,
  agent: string,
  key: string,
  method: string,
  input?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const started = Date.now();
  const response = await fetch(`${gatewayUrl}/v1/agents/${encodeURIComponent(agent)}/${encodeURIComponent(key)}/${encodeURIComponent(method)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: input === undefined ? '' : JSON.stringify(input),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Answer['body']) : {}, ms: Date.now() - started };
}

/** The result of a call that must succeed; throws with the status and body otherwise. */
export async function callOk(gatewayUrl: string, agent: string, key: string, method: string, input?: unknown, timeout = '20s'): Promise<unknown> {
  const answer = await postCall(gatewayUrl, agent, key, method, input, { 'x-colony-timeout': timeout });
  if (answer.status >= 300) throw new Error(`${method} on ${key}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.status === 204 ? undefined : answer.body;
}
