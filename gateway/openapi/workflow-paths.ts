import type { RegistryAgent } from '../../agent-runtime/client/registry-view.ts';
import { MAX_CALL_TIMEOUT_MS } from '../../agent-runtime/protocol/limits.ts';
import { WORKFLOW_STATUSES } from '../../agent-runtime/protocol/workflow.ts';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../workflow-views.ts';
import { CALL_PARAMETERS, CALL_RESPONSE_HEADERS, callErrorStatuses, errorResponses, READ_ERROR_STATUSES, ref } from './components.ts';
import type { OpenApiObject } from './components.ts';

/** The schemas the workflow routes answer with (routes/workflow-reads.ts, workflow-views.ts, the verbs' replies). */
export const WORKFLOW_SCHEMAS: OpenApiObject = {
  WorkflowView: {
    type: 'object',
    required: ['id', 'workflow', 'status', 'input', 'output', 'error', 'customStatus', 'createdAt', 'updatedAt', 'run'],
    properties: {
      id: { type: 'string' },
      workflow: { type: 'string' },
      status: { type: 'string', enum: [...WORKFLOW_STATUSES] },
      input: { description: 'Its input; null when none.' },
      output: { description: 'Its output once completed; null until then.' },
      error: { description: 'Why it failed (`{code, message}`); null unless failed.', oneOf: [{ type: 'null' }, ref('schemas', 'ErrorBody')] },
      customStatus: { description: 'What its body last set with ctx.setStatus; null when never.' },
      createdAt: { type: 'integer', description: 'ms since the epoch' },
      updatedAt: { type: 'integer', description: 'ms since the epoch' },
      run: { type: 'integer', description: '1, and one more for each continueAsNew.' },
      reason: { type: 'string', description: 'Why it was terminated, once it was.' },
    },
  },
  WorkflowPage: {
    type: 'object',
    required: ['workflows'],
    properties: {
      workflows: { type: 'array', items: ref('schemas', 'WorkflowView') },
      next: { type: 'string', description: 'Pass as `cursor` for the next page; absent on the last.' },
    },
  },
  WorkflowHistory: {
    type: 'object',
    description: 'The journal of its current run: `steps` in order, `events` that arrived, and `end` once it ended (README, "Durable workflows").',
    properties: { steps: { type: 'array', items: { type: 'object' } }, events: { type: 'array', items: { type: 'object' } }, end: { type: 'object' } },
  },
  WorkflowAccepted: {
    type: 'object',
    required: ['id', 'workflow', 'status'],
    properties: { id: { type: 'string' }, workflow: { type: 'string' }, status: { type: 'string', enum: [...WORKFLOW_STATUSES] } },
  },
  WorkflowPurged: {
    type: 'object',
    required: ['id', 'workflow', 'purged'],
    properties: { id: { type: 'string' }, workflow: { type: 'string' }, purged: { const: true } },
  },
};

const json = (schema: string): OpenApiObject => ({ 'application/json': { schema: ref('schemas', schema) } });

const OPTIONAL_BODY = (description: string): OpenApiObject => ({ required: false, description, content: json('AnyJson') });

/** An operation of workflow `workflow`: `verb` is a call to its instance (202, the call headers), else a read. */
function operation(workflow: string, name: string, summary: string, authRequired: boolean, detail: OpenApiObject, verb: boolean): OpenApiObject {
  const parameters = (detail.parameters as OpenApiObject[] | undefined) ?? [];
  return {
    operationId: `${workflow}.${name}`,
    tags: [workflow],
    summary,
    ...detail,
    parameters: verb ? [...parameters, ...CALL_PARAMETERS] : parameters,
    responses: { ...(detail.responses as OpenApiObject), ...errorResponses(verb ? callErrorStatuses() : READ_ERROR_STATUSES, authRequired) },
  };
}

function accepted(description: string, extraHeaders: OpenApiObject = {}): OpenApiObject {
  return { '202': { description, headers: { ...CALL_RESPONSE_HEADERS, ...extraHeaders }, content: json('WorkflowAccepted') } };
}

/** The paths of one workflow Agent, /v1/workflows/<workflow>/… (routes/workflow-reads.ts and workflow-verbs.ts). */
function pathsOf(workflow: string, authRequired: boolean): OpenApiObject {
  const id = ref('parameters', 'WorkflowId');
  const op = (name: string, summary: string, detail: OpenApiObject, verb: boolean): OpenApiObject => operation(workflow, name, summary, authRequired, detail, verb);
  const start = (name: string, summary: string, parameters: OpenApiObject[]): OpenApiObject =>
    op(name, summary, { parameters, requestBody: OPTIONAL_BODY('The workflow’s input.'), responses: accepted('Started: the run goes on.', { Location: ref('headers', 'Location') }) }, true);
  const control = (verb: string, summary: string, body?: OpenApiObject): OpenApiObject => ({
    post: op(verb, summary, { parameters: [id], ...(body ? { requestBody: body } : {}), responses: accepted('Accepted.') }, true),
  });
  const base = `/v1/workflows/${workflow}`;
  return {
    [base]: {
      post: start('startNew', `Start an instance of ${workflow} with a new id (a UUID)`, []),
      get: op(
        'list',
        `List the instances of ${workflow}, newest first`,
        {
          parameters: [
            { name: 'status', in: 'query', schema: { type: 'string', enum: [...WORKFLOW_STATUSES] } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT } },
            { name: 'cursor', in: 'query', description: 'The `next` of the previous page.', schema: { type: 'string' } },
          ],
          responses: { '200': { description: 'One page.', content: json('WorkflowPage') } },
        },
        false,
      ),
    },
    [`${base}/{id}`]: {
      post: start('start', `Start the instance {id} of ${workflow}`, [id]),
      get: op(
        'get',
        `An instance of ${workflow}, read from its record without waking it`,
        {
          parameters: [
            id,
            {
              name: 'wait',
              in: 'query',
              description: `Answer once it is no longer running, or as it is when this time is up: as X-Colony-Timeout, at most ${MAX_CALL_TIMEOUT_MS / 60_000} min.`,
              schema: { type: 'string' },
            },
          ],
          responses: { '200': { description: 'The instance.', content: json('WorkflowView') } },
        },
        false,
      ),
      delete: op('purge', 'Purge a finished instance and its journal', { parameters: [id], responses: { '200': { description: 'Purged.', headers: CALL_RESPONSE_HEADERS, content: json('WorkflowPurged') } } }, true),
    },
    [`${base}/{id}/history`]: {
      get: op('history', 'The journal of its current run', { parameters: [id], responses: { '200': { description: 'Its steps, events and end.', content: json('WorkflowHistory') } } }, false),
    },
    [`${base}/{id}/events/{name}`]: {
      post: op(
        'event',
        'Deliver an external event',
        {
          parameters: [id, { name: 'name', in: 'path', required: true, schema: { type: 'string', minLength: 1 } }],
          requestBody: OPTIONAL_BODY('The event’s payload.'),
          responses: accepted('Delivered.'),
        },
        true,
      ),
    },
    [`${base}/{id}/terminate`]: control('terminate', 'Terminate a running or suspended instance', {
      required: false,
      content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string' } } } } },
    }),
    [`${base}/{id}/suspend`]: control('suspend', 'Suspend a running instance'),
    [`${base}/{id}/resume`]: control('resume', 'Resume a suspended instance'),
  };
}

/** The workflow routes of every Agent whose pods said it is a workflow. */
export function workflowPaths(agents: readonly RegistryAgent[], authRequired: boolean): OpenApiObject {
  const paths: OpenApiObject = {};
  for (const { spec, api } of agents) if (api?.kind === 'workflow') Object.assign(paths, pathsOf(spec.name, authRequired));
  return paths;
}
