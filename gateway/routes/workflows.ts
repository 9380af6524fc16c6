import type { FastifyInstance } from 'fastify';
import type { WorkflowRoutesOptions } from './workflow-checks.ts';
import { registerWorkflowReads } from './workflow-reads.ts';
import { registerWorkflowVerbs } from './workflow-verbs.ts';

/**
 * The workflow management API, /v1/workflows/…: reads (an instance's
 * summary, its history, the list) come from the workflow records and
 * journals without waking an instance (workflow-reads.ts); verbs (start,
 * event, terminate, suspend, resume, purge) are calls to the instance with
 * `Colony-Op: workflow`, answered by its pod (workflow-verbs.ts).
 * Workflow ids are instance keys: any UTF-8 up to 256 bytes, one
 * percent-encoded path segment, as for agent calls (routes/invoke.ts).
 */
export function registerWorkflowRoutes(app: FastifyInstance, options: WorkflowRoutesOptions): void {
  registerWorkflowReads(app, options);
  registerWorkflowVerbs(app, options);
}
