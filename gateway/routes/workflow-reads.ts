import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readJournal } from '../../agent-runtime/client/journal.ts';
import { listSummaries, readSummary, waitWhileRunning } from '../../agent-runtime/client/workflow-records.ts';
import { journalSubject } from '../../agent-runtime/protocol/subjects.ts';
import type { WorkflowHistory, WorkflowSummary } from '../../agent-runtime/protocol/workflow.ts';
import { historyOf } from '../../agent-runtime/protocol/workflow-history.ts';
import { parseDurationMs } from '../call-headers.ts';
import { noSuchWorkflowError } from '../errors.ts';
import { pageOf, parseListQuery, viewOf } from '../workflow-views.ts';
import type { WorkflowView, WorkflowViewPage } from '../workflow-views.ts';
import { checkInstance, checkWorkflow } from './workflow-checks.ts';
import type { InstanceParams, WorkflowRoutesOptions } from './workflow-checks.ts';

interface InstanceRead {
  Params: InstanceParams;
  Querystring: Record<string, string | string[] | undefined>;
}

interface ListRead {
  Params: { workflow: string };
  Querystring: Record<string, string | string[] | undefined>;
}

/** An AbortSignal that aborts when the caller goes away before its answer is sent, or when `also` aborts. */
function untilGone(reply: FastifyReply, also: AbortSignal): AbortSignal {
  const gone = new AbortController();
  reply.raw.once('close', () => gone.abort());
  return AbortSignal.any([gone.signal, also]);
}

/**
 * GET /v1/workflows/:workflow/:id[?wait=10s] — the instance's summary, from
 * its record; with `wait`, once it is no longer running (or the time is up,
 * or the gateway closes). GET …/history — its current run's journal.
 * GET /v1/workflows/:workflow[?status=&limit=&cursor=] — its instances, newest first.
 */
export function registerWorkflowReads(app: FastifyInstance, options: WorkflowRoutesOptions): void {
  const { registry, namespace, workflows, closing } = options;
  const { records, journal } = workflows;

  /** The instance's summary: now, or with `wait` once it is no longer running. */
  const summaryOf = async (request: FastifyRequest<InstanceRead>, reply: FastifyReply<InstanceRead>, wait?: string | string[]): Promise<WorkflowSummary> => {
    const { workflow, id } = request.params;
    checkInstance(registry, namespace, request.params);
    const summary =
      wait === undefined
        ? await readSummary(records, namespace, workflow, id)
        : await waitWhileRunning(records, namespace, workflow, id, parseDurationMs(wait, 'the query parameter wait'), untilGone(reply, closing));
    if (summary === undefined) throw noSuchWorkflowError(workflow, id);
    return summary;
  };

  app.get<InstanceRead>('/v1/workflows/:workflow/:id', async (request, reply): Promise<WorkflowView> => viewOf(await summaryOf(request, reply, request.query.wait)));

  app.get<InstanceRead>('/v1/workflows/:workflow/:id/history', async (request, reply): Promise<WorkflowHistory> => {
    const { workflow, id } = request.params;
    const summary = await summaryOf(request, reply);
    const read = await readJournal(journal, journalSubject(namespace, workflow, id, summary.run));
    return historyOf(summary, read.messages);
  });

  app.get<ListRead>('/v1/workflows/:workflow', async (request): Promise<WorkflowViewPage> => {
    const { workflow } = request.params;
    checkWorkflow(registry, namespace, workflow);
    const query = parseListQuery(request.query);
    return pageOf(await listSummaries(records, namespace, workflow), query);
  });
}
