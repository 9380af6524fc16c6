import type { AnyWorkflowDefinition } from '../sdk/workflow.ts';
import { pathOf, readJson, send } from './transport.ts';
import type { ClientOptions, HttpCallOptions } from './transport.ts';
import type { WorkflowView } from '../protocol/workflow.ts';
import type { WorkflowClient, WorkflowInputOf, WorkflowOutputOf, WorkflowVerbReply } from './types.ts';

/** The routes of `/v1/workflows/{workflow}` (README, "Workflows"), as a typed client. */
export function workflowClient<W extends AnyWorkflowDefinition>(client: ClientOptions, workflow: string): WorkflowClient<W> {
  const instance = (id: string): string => pathOf('v1', 'workflows', workflow, id);
  const verb = async (id: string, path: string, name: string, body: unknown, options: HttpCallOptions = {}): Promise<WorkflowVerbReply> =>
    (await readJson(await send(client, { method: 'POST', path: `${instance(id)}${path}`, body, what: `${name} of workflow ${workflow}/${id}` }, options))) as WorkflowVerbReply;
  type View = WorkflowView<WorkflowInputOf<W>, WorkflowOutputOf<W>>;
  const read = async (id: string, query: string, signal: AbortSignal | undefined): Promise<View> =>
    (await readJson(await send(client, { method: 'GET', path: `${instance(id)}${query}`, what: `workflow ${workflow}/${id}` }, { signal }))) as View;
  return {
    start: (id, input, options) => verb(id, '', 'start', input, options),
    get: (id, options = {}) => read(id, '', options.signal),
    wait: (id, options = {}) => read(id, `?wait=${Math.ceil(options.timeoutMs ?? 30_000)}`, options.signal),
    event: (id, name, payload, options) => verb(id, pathOf('events', name), `event ${name}`, payload, options),
    terminate: (id, reason, options) => verb(id, '/terminate', 'terminate', reason === undefined ? undefined : { reason }, options),
    suspend: (id, options) => verb(id, '/suspend', 'suspend', undefined, options),
    resume: (id, options) => verb(id, '/resume', 'resume', undefined, options),
    purge: async (id, options = {}) =>
      (await readJson(await send(client, { method: 'DELETE', path: instance(id), what: `purge of workflow ${workflow}/${id}` }, options))) as { id: string; workflow: string; purged: true },
  };
}
