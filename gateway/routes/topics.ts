import type { FastifyInstance } from 'fastify';
import { topicProblem } from '../../agent-runtime/protocol/topics.ts';
import { ColonyError } from '../../agent-runtime/protocol/errors.ts';
import { readCallId } from '../call-headers.ts';
import { sendError } from '../errors.ts';
import { readInput } from '../input.ts';

/** What the topics route needs: somewhere to append events (TopicStreams). */
export interface TopicRoutesOptions {
  topics: { append(topic: string, id: string, data: string | Uint8Array, at?: number): Promise<{ seq: number; duplicate: boolean }> };
  closing: AbortSignal;
  now: () => number;
  newEventId: () => string;
}

/**
 * `POST /v1/topics/{topic}`: publishes the JSON body as one event. Answers
 * 202 `{id, topic, seq}` once the event is stored in the topic's stream; the
 * subscribers' methods run after. An `Idempotency-Key` becomes the event's
 * id: the same key again within the topic's duplicate window (10 minutes)
 * stores nothing new and answers the first event's sequence, with
 * `duplicate: true`.
 */
export function registerTopicRoutes(app: FastifyInstance, options: TopicRoutesOptions): void {
  app.post<{ Params: { topic: string } }>('/v1/topics/:topic', async (request, reply) => {
    if (options.closing.aborted) return sendError(reply, new ColonyError('unavailable', 'the gateway is shutting down; send the event again', { retryAfterSeconds: 1 }));
    const { topic } = request.params;
    const problem = topicProblem(topic);
    if (problem) return sendError(reply, new ColonyError('invalid_argument', `POST /v1/topics/{topic}: ${problem}`));
    // Checked as JSON once, then stored as the bytes that came.
    const event = readInput(request.body, request.headers['content-type']);
    if (event.byteLength === 0) return sendError(reply, new ColonyError('invalid_argument', `POST /v1/topics/${topic}: the body must be the event, as JSON (content-type: application/json)`));
    const id = readCallId(request.headers['idempotency-key'], options.newEventId);
    try {
      const stored = await options.topics.append(topic, id, event, options.now());
      return reply.code(202).send({ id, topic, seq: stored.seq, ...(stored.duplicate ? { duplicate: true } : {}) });
    } catch (error) {
      return sendError(reply, new ColonyError('unavailable', `could not store the event in topic ${topic}: ${(error as Error).message}; send it again with the same Idempotency-Key`, { cause: error, retryAfterSeconds: 1 }));
    }
  });
}
