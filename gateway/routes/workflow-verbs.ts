import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { encodeJson } from '../../agent-runtime/protocol/codec.ts';
import { ColonyError } from '../../agent-runtime/protocol/errors.ts';
import type { EventInput, StartInput, TerminateInput, WorkflowVerb } from '../../agent-runtime/protocol/workflow.ts';
import { callFromRequest, REQUEST_HEADER, RESPONSE_HEADER } from '../call-headers.ts';
import { gatewayClosingError, JSON_CONTENT_TYPE } from '../errors.ts';
import { readJsonBody } from '../input.ts';
import { checkInstance } from './workflow-checks.ts';
import type { InstanceParams, WorkflowRoutesOptions } from './workflow-checks.ts';

interface VerbRoute {
  Params: Record<string, string>;
  Body: Buffer | undefined;
}

/** The verb's input from a terminate request's body: `{"reason": "…"}`, or nothing. */
function terminateInput(body: unknown): TerminateInput {
  if (body === undefined || body === null) return {};
  const reason = typeof body === 'object' && !Array.isArray(body) ? (body as { reason?: unknown }).reason : undefined;
  if (typeof body !== 'object' || Array.isArray(body) || (reason !== undefined && typeof reason !== 'string')) {
    throw new ColonyError('invalid_argument', 'the body of a terminate request is {"reason": "why"} (reason optional), or empty');
  }
  return reason === undefined ? {} : { reason };
}

function instanceOf(params: Record<string, string>): InstanceParams {
  return { workflow: params.workflow ?? '', id: params.id ?? '' };
}

/** The verb's input from an event request: its name from the path, its payload the body. */
function eventInput(body: unknown, params: Record<string, string>): EventInput {
  const name = params.name ?? '';
  if (name.length === 0) throw new ColonyError('invalid_argument', 'the event has no name; send it to /v1/workflows/{workflow}/{id}/events/{name}');
  return body === undefined ? { name } : { name, payload: body };
}

/**
 * The verbs: POST /v1/workflows/:workflow[/:id] (start), …/events/:name,
 * …/terminate, …/suspend, …/resume, and DELETE /v1/workflows/:workflow/:id
 * (purge). Each is one call to the instance with `Colony-Op: workflow`; its
 * pod decides from the instance's status (409 already_exists,
 * 409 failed_precondition, 404 not_found) and answers the verb's reply, which
 * is sent on as it came: 202 (accepted: the run goes on), 200 for a purge.
 * X-Colony-Timeout, Idempotency-Key and traceparent work as for agent calls.
 */
export function registerWorkflowVerbs(app: FastifyInstance, options: WorkflowRoutesOptions): void {
  const { client, registry, namespace, closing, newWorkflowId } = options;

  /**
   * A route that checks the instance its path names (`targetOf`) and reads the body, then sends
   * `verb` with the input `inputOf` makes of the body, and answers its pod's reply as it came.
   */
  const verbRoute =
    (verb: WorkflowVerb, inputOf: (body: unknown, params: Record<string, string>) => unknown, targetOf: (params: Record<string, string>) => InstanceParams = instanceOf) =>
    async (request: FastifyRequest<VerbRoute>, reply: FastifyReply<VerbRoute>) => {
      if (closing.aborted) throw gatewayClosingError();
      const target = targetOf(request.params);
      checkInstance(registry, namespace, target);
      const input = inputOf(readJsonBody(request.body, request.headers[REQUEST_HEADER.contentType]), request.params);
      const call = callFromRequest(request.headers, { agent: target.workflow, key: target.id, method: verb, op: 'workflow' }, encodeJson(input), options);
      reply.header(RESPONSE_HEADER.callId, call.callId);
      const result = await client.call(call);
      if (verb === 'start') reply.header('location', `/v1/workflows/${target.workflow}/${encodeURIComponent(target.id)}`);
      return reply
        .code(verb === 'purge' ? 200 : 202)
        .header('content-type', JSON_CONTENT_TYPE)
        .send(result.data);
    };

  const start = (body: unknown): StartInput => (body === undefined ? {} : { input: body });
  app.post<VerbRoute>('/v1/workflows/:workflow/:id', verbRoute('start', start));
  app.post<VerbRoute>('/v1/workflows/:workflow', verbRoute('start', start, (params) => ({ workflow: params.workflow ?? '', id: newWorkflowId() })));
  app.post<VerbRoute>('/v1/workflows/:workflow/:id/events/:name', verbRoute('event', eventInput));
  app.post<VerbRoute>('/v1/workflows/:workflow/:id/terminate', verbRoute('terminate', terminateInput));
  app.post<VerbRoute>('/v1/workflows/:workflow/:id/suspend', verbRoute('suspend', () => undefined));
  app.post<VerbRoute>('/v1/workflows/:workflow/:id/resume', verbRoute('resume', () => undefined));
  app.delete<VerbRoute>('/v1/workflows/:workflow/:id', verbRoute('purge', () => undefined));
}
