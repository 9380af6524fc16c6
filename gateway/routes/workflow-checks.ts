import { ColonyError } from '../../agent-runtime/protocol/errors.ts';
import { checkInstanceKey } from '../../agent-runtime/protocol/limits.ts';
import type { CallSource } from '../call-headers.ts';
import type { GatewayClient, GatewayRegistry, GatewayWorkflows } from '../deps.ts';
import { notAWorkflowError, unknownWorkflowError } from '../errors.ts';

/** What the workflow routes need (routes/workflows.ts). */
export interface WorkflowRoutesOptions extends CallSource {
  client: GatewayClient;
  registry: GatewayRegistry;
  namespace: string;
  workflows: GatewayWorkflows;
  /** Aborted once the gateway begins to close: verbs that still arrive are refused, requests waiting for a workflow answer at once. */
  closing: AbortSignal;
  /** Ids of workflows started without one (POST /v1/workflows/{workflow}). */
  newWorkflowId: () => string;
}

/** The path parameters of an instance's routes. */
export interface InstanceParams {
  workflow: string;
  id: string;
}

/**
 * Refuses a name that is not a deployed workflow: unknown, or an Agent whose
 * pods said it is not one. An Agent whose pods have not published their API
 * yet is let through: its pod answers.
 */
export function checkWorkflow(registry: GatewayRegistry, namespace: string, workflow: string): void {
  const entry = registry.get(workflow);
  if (entry === undefined) {
    const known = registry.list().filter((agent) => agent.api?.kind === 'workflow');
    throw unknownWorkflowError(workflow, namespace, known.map((agent) => agent.spec.name));
  }
  if (entry.api !== undefined && entry.api.kind !== 'workflow') throw notAWorkflowError(workflow);
}

/** checkWorkflow, and the id is a valid instance key. */
export function checkInstance(registry: GatewayRegistry, namespace: string, params: InstanceParams): void {
  checkWorkflow(registry, namespace, params.workflow);
  const problem = checkInstanceKey(params.id);
  if (problem !== undefined) throw new ColonyError('invalid_argument', `the workflow id is not valid: ${problem} (a workflow's id is the key of its instance)`);
}
