import type { RegistryAgent } from '../../agent-runtime/client/registry-view.ts';
import { DEFAULT_INSTANCE_PAGE, MAX_INSTANCE_PAGE } from '../../agent-runtime/protocol/admin.ts';
import { CALL_PARAMETERS, CALL_RESPONSE_HEADERS, callErrorStatuses, errorResponses, READ_ERROR_STATUSES, ref } from './components.ts';
import type { OpenApiObject } from './components.ts';

const REMINDER: OpenApiObject = {
  type: 'object',
  required: ['name', 'method', 'dueAt'],
  properties: {
    name: { type: 'string' },
    method: { type: 'string', description: 'The method it calls.' },
    dueAt: { type: 'integer', description: 'When it is due, ms since the epoch.' },
    everyMs: { type: 'integer', description: 'Its period, for a periodic reminder.' },
    input: { description: 'The input its method gets.' },
    failures: { type: 'integer', description: 'Fires of `dueAt` that failed so far.' },
    retryAt: { type: 'integer', description: 'After a failed fire: when it is tried again.' },
  },
};

const CALL: OpenApiObject = {
  type: 'object',
  required: ['callId', 'status', 'at'],
  properties: {
    callId: { type: 'string', description: 'Its call id (Idempotency-Key, or the one the gateway gave).' },
    method: { type: 'string', description: 'The method called (`admin:<verb>` for an admin write); absent in replies kept before Colony recorded it.' },
    status: { type: 'string', description: '`ok`, or the error code it answered.' },
    at: { type: 'integer', description: 'When it completed, ms since the epoch.' },
  },
};

const INSTANCE = { agent: { type: 'string' }, key: { type: 'string' } };
const ACTIVE = { type: 'boolean', description: 'In memory on a pod now; else read from its stored record.' };

/** The schemas the admin routes of instances answer with (routes/instances.ts). */
export const ADMIN_SCHEMAS: OpenApiObject = {
  InstancePage: {
    type: 'object',
    required: ['agent', 'stored', 'instances'],
    properties: {
      agent: { type: 'string' },
      stored: { type: 'boolean' },
      instances: {
        type: 'array',
        items: { type: 'object', required: ['key', 'partition'], properties: { key: { type: 'string' }, partition: { type: 'integer' }, pod: { type: 'string', description: 'The pod it is in memory on.' } } },
      },
      next: { type: 'string', description: 'Pass as `cursor` for the next page; absent on the last.' },
      unanswered: { type: 'array', items: { type: 'string' }, description: 'Pods that did not answer in time: their instances are missing from the page.' },
    },
  },
  InstanceState: {
    type: 'object',
    required: ['agent', 'key', 'active', 'state', 'calls'],
    properties: { ...INSTANCE, active: ACTIVE, state: { description: 'Its state as last committed.' }, calls: { type: 'array', items: CALL, description: 'The calls whose replies it keeps for repeats (its last state-changing calls, at most 64), newest first.' } },
  },
  InstanceReminders: { type: 'object', required: ['agent', 'key', 'active', 'reminders'], properties: { ...INSTANCE, active: ACTIVE, reminders: { type: 'array', items: REMINDER } } },
  AdminWrite: {
    type: 'object',
    required: ['agent', 'key'],
    properties: { ...INSTANCE, replaced: { const: true }, reset: { const: true }, reminder: { type: 'string' }, cancelled: { const: true } },
  },
};

const json = (schema: string): OpenApiObject => ({ 'application/json': { schema: ref('schemas', schema) } });

/** The Agents (not workflows) deployed, as an enum when there are any. */
function agentParameter(agents: readonly RegistryAgent[]): OpenApiObject {
  const names = agents.filter((agent) => agent.api?.kind !== 'workflow').map((agent) => agent.spec.name);
  return { name: 'agent', in: 'path', required: true, schema: { type: 'string', ...(names.length > 0 ? { enum: names } : {}) } };
}

/** GET /v1/agents/{agent}/instances, GET|PUT|DELETE …/{key}/state, GET …/{key}/reminders, DELETE …/reminders/{name}. */
export function adminPaths(agents: readonly RegistryAgent[], authRequired: boolean): OpenApiObject {
  const agent = agentParameter(agents);
  const key = ref('parameters', 'Key');
  const op = (operationId: string, summary: string, parameters: OpenApiObject[], response: OpenApiObject, write: boolean, extra: OpenApiObject = {}): OpenApiObject => ({
    operationId,
    tags: ['admin'],
    summary,
    parameters: write ? [...parameters, ...CALL_PARAMETERS] : parameters,
    ...extra,
    responses: { '200': response, ...errorResponses(write ? callErrorStatuses() : [...READ_ERROR_STATUSES, 409], authRequired) },
  });
  const read = (schema: string, description: string): OpenApiObject => ({ description, content: json(schema) });
  const written = (description: string): OpenApiObject => ({ description, headers: CALL_RESPONSE_HEADERS, content: json('AdminWrite') });
  return {
    '/v1/agents/{agent}/instances': {
      get: op(
        'listInstances',
        'An Agent’s instances in memory (every pod asked), or with a stored record, by key',
        [
          agent,
          { name: 'stored', in: 'query', description: 'true: those with a stored record; false (default): those in memory.', schema: { type: 'boolean' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_INSTANCE_PAGE, default: DEFAULT_INSTANCE_PAGE } },
          { name: 'cursor', in: 'query', description: 'The `next` of the previous page.', schema: { type: 'string' } },
        ],
        read('InstancePage', 'One page.'),
        false,
      ),
    },
    '/v1/agents/{agent}/{key}/state': {
      get: op('getInstanceState', 'An instance’s state as last committed: from its pod, or its stored record when no pod has its partition', [agent, key], read('InstanceState', 'Its state.'), false),
      put: op('putInstanceState', 'Replace an instance’s state (a turn of the instance)', [agent, key], written('Replaced.'), true, {
        requestBody: { required: true, description: 'The new state.', content: json('AnyJson') },
      }),
      delete: op('resetInstance', 'Reset an instance to the Agent’s initial state, cancelling its reminders (a turn)', [agent, key], written('Reset.'), true),
    },
    '/v1/agents/{agent}/{key}/reminders': {
      get: op('listReminders', 'An instance’s durable reminders', [agent, key], read('InstanceReminders', 'Its reminders, by name.'), false),
    },
    '/v1/agents/{agent}/{key}/reminders/{name}': {
      delete: op(
        'cancelReminder',
        'Cancel a reminder of an instance (a turn)',
        [agent, key, { name: 'name', in: 'path', required: true, schema: { type: 'string', minLength: 1 } }],
        written('Cancelled.'),
        true,
      ),
    },
  };
}
