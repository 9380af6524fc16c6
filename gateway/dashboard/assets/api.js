// The gateway's JSON routes, as the dashboard reads them: with the API token as a bearer
// token when there is one, and errors as ApiError with the gateway's code and message.

/** Where the token is kept: the tab's sessionStorage, under the name /docs uses too (decision 23). */
const STORAGE = 'colony-api-token';

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const token = {
  /** @returns {string | null} */
  get: () => sessionStorage.getItem(STORAGE),
  /** @param {string} value */
  set: (value) => sessionStorage.setItem(STORAGE, value),
  forget: () => sessionStorage.removeItem(STORAGE),
};

/**
 * GET `path` (with its query) and its JSON answer.
 * @param {string} path
 * @returns {Promise<any>}
 */
export async function getJson(path) {
  const headers = { accept: 'application/json' };
  const bearer = token.get();
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch(path, { headers, cache: 'no-store' });
  } catch (error) {
    throw new ApiError(0, 'unreachable', `the gateway did not answer (${error instanceof Error ? error.message : String(error)})`);
  }
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = body?.error;
    throw new ApiError(response.status, error?.code ?? `http_${response.status}`, error?.message ?? `GET ${path} answered ${response.status}`);
  }
  return body;
}

/** A path segment: keys may hold any character, a "/" included. */
export const segment = encodeURIComponent;

/** The routes the dashboard reads. */
export const api = {
  agents: () => getJson('/v1/agents'),
  /** @param {string} agent */
  status: (agent) => getJson(`/v1/agents/${segment(agent)}/status`),
  /** @param {string} agent @param {boolean} stored */
  instances: (agent, stored) => getJson(`/v1/agents/${segment(agent)}/instances?limit=50${stored ? '&stored=true' : ''}`),
  /** @param {string} agent @param {string} key */
  state: (agent, key) => getJson(`/v1/agents/${segment(agent)}/${segment(key)}/state`),
  /** @param {string} agent @param {string} key */
  reminders: (agent, key) => getJson(`/v1/agents/${segment(agent)}/${segment(key)}/reminders`),
  /** @param {string} workflow */
  workflows: (workflow) => getJson(`/v1/workflows/${segment(workflow)}?limit=8`),
};
