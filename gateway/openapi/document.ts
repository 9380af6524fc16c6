import type { RegistryAgent } from '../../agent-runtime/client/registry-view.ts';
import { ADMIN_SCHEMAS, adminPaths } from './admin-paths.ts';
import { agentMethodPaths, unpublishedAgentPath } from './agent-paths.ts';
import { BEARER_SCHEME, components } from './components.ts';
import type { OpenApiObject } from './components.ts';
import { healthPaths, PLATFORM_SCHEMAS, registryPaths } from './platform-paths.ts';
import { WORKFLOW_SCHEMAS, workflowPaths } from './workflow-paths.ts';

export const OPENAPI_VERSION = '3.1.0';

/** What the document describes besides the Agents: how the gateway is set up. */
export interface OpenApiOptions {
  namespace: string;
  /** The gateway requires a bearer token on /v1 (COLONY_API_TOKENS). */
  authRequired: boolean;
  /** It serves /v1/workflows (the workflow routes of workflow Agents). */
  workflows: boolean;
  /** It serves POST /v1/topics/{topic}. */
  topics: boolean;
  /** It serves the admin routes of instances (/v1/agents/{agent}/instances, …/{key}/state, …/{key}/reminders). */
  instances?: boolean | undefined;
}

/** One tag per Agent (its operations), saying what it is. */
function agentTag({ spec, api }: RegistryAgent): OpenApiObject {
  const kind = api === undefined ? 'Agent (its pods have not published its API yet)' : api.kind === 'workflow' ? 'Workflow' : 'Agent';
  const facts = [
    `${spec.partitions} partitions`,
    `${spec.minReplicas}–${spec.maxReplicas} pods`,
    spec.group ? `placement group \`${spec.group}\`` : '',
    api?.activities?.length ? `activities: ${api.activities.join(', ')}` : '',
    api?.subscriptions?.length ? `handles ${api.subscriptions.map(({ topic, method }) => `\`${topic}\` with ${method}`).join(', ')}` : '',
  ].filter(Boolean);
  return { name: spec.name, description: `${kind}: ${facts.join('; ')}.` };
}

const DESCRIPTION =
  'Colony’s HTTP gateway: call methods of addressable, stateful agent instances (`/v1/agents/{agent}/{key}/{method}`), ' +
  'run durable workflows, publish events. This document is made from the Agents deployed now; it changes when they do. ' +
  'Errors are `{"error": {"code", "message"}}` with the status of their code.';

/**
 * The gateway's OpenAPI 3.1 document for `agents` (the registry, as
 * RegistryView.list gives it): a path per method of each Agent with its
 * input and output schemas, the workflow routes of each workflow, the
 * registry, topics and health routes. A pure function of its inputs.
 */
export function openApiDocument(agents: readonly RegistryAgent[], options: OpenApiOptions): OpenApiObject {
  const { authRequired } = options;
  const methods = agentMethodPaths(agents, authRequired);
  const paths: OpenApiObject = {
    ...methods.paths,
    ...unpublishedAgentPath(agents, authRequired),
    ...(options.workflows ? workflowPaths(agents, authRequired) : {}),
    ...registryPaths(agents, authRequired, options.topics),
    ...(options.instances ? adminPaths(agents, authRequired) : {}),
    ...healthPaths(),
  };
  return {
    openapi: OPENAPI_VERSION,
    info: { title: `Colony — namespace ${options.namespace}`, version: 'v1', description: DESCRIPTION },
    ...(authRequired ? { security: [{ [BEARER_SCHEME]: [] }] } : {}),
    tags: [...agents.map(agentTag), { name: 'registry' }, ...(options.instances ? [{ name: 'admin', description: 'Instances: list them, read, replace or reset their state, list and cancel their reminders.' }] : []), ...(options.topics ? [{ name: 'topics' }] : []), { name: 'health' }],
    paths,
    components: components({ ...methods.schemas, ...PLATFORM_SCHEMAS, ...(options.workflows ? WORKFLOW_SCHEMAS : {}), ...(options.instances ? ADMIN_SCHEMAS : {}) }, authRequired),
  };
}
