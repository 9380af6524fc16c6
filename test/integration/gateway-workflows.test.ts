import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../agent-runtime/client/journal.ts';
import { journalSubject } from '../../agent-runtime/protocol/subjects.ts';
import type { WorkflowHistory } from '../../agent-runtime/protocol/workflow.ts';
import { buildGateway } from '../../gateway/app.ts';
import { ApiTokens } from '../../gateway/auth.ts';
import type { WorkflowView, WorkflowViewPage } from '../../gateway/workflow-views.ts';
import { NS, useGatewayOverNats } from '../helpers/gateway-over-nats.ts';
import type { ErrorBody } from '../helpers/gateway-over-nats.ts';
import { HANGING_ID, seedWorkflows } from '../helpers/workflow-stand-in.ts';
import type { WorkflowStandIn } from '../helpers/workflow-stand-in.ts';

/**
 * The workflow management API over a real nats-server: verbs reach a
 * stand-in workflow pod (`Colony-Op: workflow`), reads come from the
 * workflows bucket and the journal stream it writes.
 */

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('the workflow API over a real nats-server', () => {
  const standIns = new Map<string, WorkflowStandIn>();
  // `order` is deployed; `draft` too, but its pods have not published its API yet; `batch` is for the list.
  const rig = useGatewayOverNats(
    seedWorkflows(standIns, [
      { name: 'order', partitions: 4 },
      { name: 'draft', partitions: 1, published: false },
      { name: 'batch', partitions: 2 },
    ]),
  );
  const order = (): WorkflowStandIn => standIns.get('order') as WorkflowStandIn;
  const get = (url: string, headers: Record<string, string> = {}) => rig.app.inject({ method: 'GET', url, headers });
  const { post } = rig;
  const errorOf = (response: { json: <T>() => T }) => response.json<ErrorBody>().error;

  describe('start', () => {
    it('starts an instance with the id given and the body as its input: 202, its status, where to find it', async () => {
      const response = await post('/v1/workflows/order/o-1', '{"items":[1,2]}');
      expect(response.statusCode).toBe(202);
      expect(response.json()).toEqual({ id: 'o-1', workflow: 'order', status: 'running' });
      expect(response.headers.location).toBe('/v1/workflows/order/o-1');
      expect(response.headers['x-colony-call-id']).toMatch(UUID);
      expect(await order().summary('o-1')).toMatchObject({ status: 'running', input: { items: [1, 2] } });
      expect(order().seen.at(-1)).toMatchObject({ op: 'workflow', method: 'start', key: 'o-1', depth: 0, input: { input: { items: [1, 2] } } });
    });

    it('answers 409 already_exists for an id that exists, with what to do', async () => {
      await post('/v1/workflows/order/o-dup');
      const again = await post('/v1/workflows/order/o-dup', '{}');
      expect(again.statusCode).toBe(409);
      expect(errorOf(again)).toMatchObject({ code: 'already_exists', message: expect.stringContaining('purge it first') });
    });

    it('starts one with a generated id when none is given', async () => {
      const response = await post('/v1/workflows/order', '"hello"');
      expect(response.statusCode).toBe(202);
      const { id } = response.json<{ id: string }>();
      expect(id).toMatch(UUID);
      expect(response.headers.location).toBe(`/v1/workflows/order/${id}`);
      expect((await get(`/v1/workflows/order/${id}`)).json()).toMatchObject({ id, status: 'running', input: 'hello' });
    });

    it('passes Idempotency-Key as the call id: a retry gets the first answer, not a 409', async () => {
      const headers = { 'idempotency-key': 'start-o-idem' };
      const first = await post('/v1/workflows/order/o-idem', '{}', headers);
      const retry = await post('/v1/workflows/order/o-idem', '{}', headers);
      expect([first.statusCode, retry.statusCode]).toEqual([202, 202]);
      expect(retry.headers['x-colony-call-id']).toBe('start-o-idem');
      expect(order().seen.at(-1)).toMatchObject({ callId: 'start-o-idem', chain: 'start-o-idem' });
    });

    it('sends the deadline of X-Colony-Timeout and the traceparent, and answers 504 when the pod does not answer in time', async () => {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const before = Date.now();
      const response = await post(`/v1/workflows/order/${HANGING_ID}`, undefined, { 'x-colony-timeout': '300ms', traceparent });
      expect(response.statusCode).toBe(504);
      expect(errorOf(response).code).toBe('deadline_exceeded');
      const seen = order().seen.at(-1);
      expect(seen).toMatchObject({ key: HANGING_ID, traceparent });
      expect(seen?.deadline).toBeGreaterThanOrEqual(before + 300);
      expect(seen?.deadline).toBeLessThanOrEqual(before + 2_000);
    });

    it('refuses a body that is not JSON, a bad timeout and an empty id with 400', async () => {
      expect((await post('/v1/workflows/order/o-bad', '{nope')).statusCode).toBe(400);
      expect((await post('/v1/workflows/order/o-bad', 'x', { 'content-type': 'text/plain' })).statusCode).toBe(400);
      expect((await post('/v1/workflows/order/o-bad', undefined, { 'x-colony-timeout': 'soon' })).statusCode).toBe(400);
      expect((await get('/v1/workflows/order/o-bad')).statusCode).toBe(404);
    });
  });

  describe('which workflows there are', () => {
    it('answers 404 for a name that is not deployed, listing the workflows', async () => {
      const response = await post('/v1/workflows/nope/x');
      expect(response.statusCode).toBe(404);
      expect(errorOf(response).message).toMatch(/no workflow named "nope" in namespace "gwtest"; the workflows are: batch, order$/);
      expect((await get('/v1/workflows/nope/x')).statusCode).toBe(404);
      expect((await get('/v1/workflows/nope')).statusCode).toBe(404);
    });

    it('answers 404 for an agent that is not a workflow, pointing to its calls', async () => {
      const response = await get('/v1/workflows/counter/alice');
      expect(response.statusCode).toBe(404);
      expect(errorOf(response).message).toContain('"counter" is an agent, not a workflow');
    });

    it('lets a workflow whose API is not published yet through: its pod answers', async () => {
      const response = await post('/v1/workflows/draft/d-1', '{}');
      expect(response.statusCode).toBe(202);
      expect((await get('/v1/workflows/draft/d-1')).json()).toMatchObject({ workflow: 'draft', status: 'running' });
    });
  });

  describe('GET an instance', () => {
    it('answers its summary: every field, null where unset, run and reason', async () => {
      await order().seed('o-get', 'completed', 1_000, { input: { n: 1 }, output: { total: 3 }, customStatus: 'shipped', run: 2 });
      expect((await get('/v1/workflows/order/o-get')).json()).toEqual({
        id: 'o-get',
        workflow: 'order',
        status: 'completed',
        input: { n: 1 },
        output: { total: 3 },
        error: null,
        customStatus: 'shipped',
        createdAt: 1_000,
        updatedAt: 1_000,
        run: 2,
      });
      await order().seed('o-failed', 'terminated', 1_000, { error: { code: 'method_failed', message: 'no stock' }, reason: 'manual' });
      expect((await get('/v1/workflows/order/o-failed')).json()).toMatchObject({ output: null, error: { code: 'method_failed' }, reason: 'manual' });
    });

    it('answers 404 not_found for an unknown id and for a purged one (state null)', async () => {
      const unknown = await get('/v1/workflows/order/never');
      expect(unknown.statusCode).toBe(404);
      expect(errorOf(unknown)).toMatchObject({ code: 'not_found', message: expect.stringContaining('never started, or it was purged') });
      await order().put('o-purged', null);
      expect((await get('/v1/workflows/order/o-purged')).statusCode).toBe(404);
    });

    it('with ?wait, answers at once when the instance is not running', async () => {
      await order().seed('o-done', 'completed', 1_000);
      const started = Date.now();
      expect((await get('/v1/workflows/order/o-done?wait=10m')).json()).toMatchObject({ status: 'completed' });
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('with ?wait, answers as soon as the record says it is no longer running', async () => {
      await order().seed('o-wait', 'running', 1_000);
      const started = Date.now();
      const pending = get('/v1/workflows/order/o-wait?wait=20s');
      // The record changes while the request waits, as a run finishing would change it: one change after the other.
      const changes = (async () => {
        await sleep(100);
        await order().update('o-wait', { customStatus: 'half way' });
        await sleep(200);
        await order().update('o-wait', { status: 'completed', output: 42 });
      })();
      const response = await pending;
      await changes;
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ status: 'completed', output: 42, customStatus: 'half way' });
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('with ?wait, counts suspended as no longer running', async () => {
      await post('/v1/workflows/order/o-wait-suspend');
      const pending = get('/v1/workflows/order/o-wait-suspend?wait=20s');
      setTimeout(() => void post('/v1/workflows/order/o-wait-suspend/suspend'), 100);
      expect((await pending).json()).toMatchObject({ status: 'suspended' });
    });

    it('with ?wait, answers the summary as it is when the time is up', async () => {
      await order().seed('o-slow', 'running', 1_000);
      const started = Date.now();
      const response = await get('/v1/workflows/order/o-slow?wait=400ms');
      const waited = Date.now() - started;
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ status: 'running' });
      expect(waited).toBeGreaterThanOrEqual(390);
      expect(waited).toBeLessThan(5_000);
    });

    it('with ?wait, answers 404 when the instance is purged while it waits', async () => {
      await order().seed('o-gone', 'running', 1_000);
      const pending = get('/v1/workflows/order/o-gone?wait=20s');
      setTimeout(() => void order().put('o-gone', null), 100);
      expect((await pending).statusCode).toBe(404);
    });

    it('refuses a wait that is not a duration, or longer than 15 minutes', async () => {
      for (const wait of ['soon', '16m', '0']) {
        const response = await get(`/v1/workflows/order/o-done?wait=${wait}`);
        expect(response.statusCode).toBe(400);
        expect(errorOf(response).message).toContain('query parameter wait');
      }
    });
  });

  describe('history', () => {
    it('shapes the journal of the current run: steps in order, waiting ones, events, the end', async () => {
      await order().seed('o-hist', 'running', 1_000, { run: 2 });
      await order().append('o-hist', 1, [{ t: 'done', k: 0, step: 'activity', name: 'old-run', ok: true, started: 1, at: 2 }]);
      await order().append('o-hist', 2, [{ t: 'done', k: 1, step: 'sleep', name: 'sleep', ok: true, started: 1_100, at: 1_600 }]);
      await order().append('o-hist', 2, [{ t: 'done', k: 0, step: 'activity', name: 'charge', ok: true, value: { ok: 1 }, started: 1_000, at: 1_050, attempts: 2 }]);
      await order().append('o-hist', 2, [{ t: 'timer', k: 2, due: 99_999, at: 1_700 }]);
      expect((await post('/v1/workflows/order/o-hist/events/approved', '{"by":"ann"}')).statusCode).toBe(202);
      const history = (await get('/v1/workflows/order/o-hist/history')).json<WorkflowHistory>();
      expect(history).toMatchObject({ id: 'o-hist', workflow: 'order', run: 2 });
      expect(history.steps).toEqual([
        { step: 0, kind: 'activity', name: 'charge', status: 'completed', scheduledAt: 1_000, completedAt: 1_050, durationMs: 50, attempts: 2, value: { ok: 1 } },
        { step: 1, kind: 'sleep', name: 'sleep', status: 'completed', scheduledAt: 1_100, completedAt: 1_600, durationMs: 500, attempts: 1 },
        { step: 2, kind: 'sleep', name: '', status: 'waiting', scheduledAt: 1_700 },
      ]);
      expect(history.events).toEqual([{ name: 'approved', at: expect.any(Number) }]);
      expect(history.end).toBeUndefined();
      expect((await post('/v1/workflows/order/o-hist/terminate', '{"reason":"test over"}')).statusCode).toBe(202);
      expect((await get('/v1/workflows/order/o-hist/history')).json<WorkflowHistory>().end).toEqual({ status: 'terminated', at: expect.any(Number) });
    });

    it('answers an empty history for a run with no journal yet, and 404 for an unknown id', async () => {
      await post('/v1/workflows/order/o-fresh');
      expect((await get('/v1/workflows/order/o-fresh/history')).json()).toEqual({ id: 'o-fresh', workflow: 'order', run: 1, steps: [], events: [] });
      expect(errorOf(await get('/v1/workflows/order/never/history')).code).toBe('not_found');
    });
  });

  describe('verbs', () => {
    it('delivers an event with its name and the body as payload: 202; refuses one to a finished or unknown instance', async () => {
      await post('/v1/workflows/order/o-ev');
      const response = await post('/v1/workflows/order/o-ev/events/paid', '{"amount":12}');
      expect(response.statusCode).toBe(202);
      expect(response.json()).toEqual({ id: 'o-ev', workflow: 'order', status: 'running' });
      expect(order().seen.at(-1)).toMatchObject({ method: 'event', input: { name: 'paid', payload: { amount: 12 } } });
      const read = await readJournal(rig.journal, journalSubject(NS, 'order', 'o-ev', 1));
      expect(read.messages.flat()).toEqual([expect.objectContaining({ t: 'event', name: 'paid', payload: { amount: 12 } })]);
      await order().seed('o-ev-done', 'completed', 1_000);
      const late = await post('/v1/workflows/order/o-ev-done/events/paid');
      expect(late.statusCode).toBe(409);
      expect(errorOf(late).code).toBe('failed_precondition');
      expect(errorOf(await post('/v1/workflows/order/never/events/paid')).code).toBe('not_found');
    });

    it('terminates with a reason; a second terminate is 409; a reason that is not text is 400', async () => {
      await post('/v1/workflows/order/o-term');
      const response = await post('/v1/workflows/order/o-term/terminate', '{"reason":"customer cancelled"}');
      expect(response.statusCode).toBe(202);
      expect(response.json()).toEqual({ id: 'o-term', workflow: 'order', status: 'terminated' });
      expect((await get('/v1/workflows/order/o-term')).json()).toMatchObject({ status: 'terminated', reason: 'customer cancelled' });
      expect(errorOf(await post('/v1/workflows/order/o-term/terminate')).code).toBe('failed_precondition');
      expect((await post('/v1/workflows/order/o-term/terminate', '{"reason":7}')).statusCode).toBe(400);
    });

    it('suspends and resumes: 202 with the new status', async () => {
      await post('/v1/workflows/order/o-pause');
      const suspended = await post('/v1/workflows/order/o-pause/suspend');
      expect([suspended.statusCode, suspended.json<WorkflowView>().status]).toEqual([202, 'suspended']);
      expect((await get('/v1/workflows/order/o-pause')).json()).toMatchObject({ status: 'suspended' });
      const resumed = await post('/v1/workflows/order/o-pause/resume');
      expect([resumed.statusCode, resumed.json<WorkflowView>().status]).toEqual([202, 'running']);
    });

    it('purges a finished instance and its journal (200), refuses one that runs (409), and the id can start again', async () => {
      await post('/v1/workflows/order/o-purge');
      await post('/v1/workflows/order/o-purge/events/x');
      const running = await rig.app.inject({ method: 'DELETE', url: '/v1/workflows/order/o-purge' });
      expect(running.statusCode).toBe(409);
      expect(errorOf(running)).toMatchObject({ code: 'failed_precondition', message: expect.stringContaining('terminate it') });
      await post('/v1/workflows/order/o-purge/terminate');
      const purged = await rig.app.inject({ method: 'DELETE', url: '/v1/workflows/order/o-purge' });
      expect(purged.statusCode).toBe(200);
      expect(purged.json()).toEqual({ id: 'o-purge', workflow: 'order', purged: true });
      expect((await get('/v1/workflows/order/o-purge')).statusCode).toBe(404);
      expect((await readJournal(rig.journal, journalSubject(NS, 'order', 'o-purge', 1))).messages).toEqual([]);
      expect((await post('/v1/workflows/order/o-purge')).statusCode).toBe(202);
    });

    it('reaches an id with a slash and non-ASCII, percent-encoded as one segment', async () => {
      const id = 'tenant/7 été';
      expect((await post(`/v1/workflows/order/${encodeURIComponent(id)}`)).statusCode).toBe(202);
      expect((await get(`/v1/workflows/order/${encodeURIComponent(id)}`)).json()).toMatchObject({ id });
    });
  });

  describe('list', () => {
    it('lists newest first in pages, filters by status, and skips purged instances', async () => {
      const batch = standIns.get('batch') as WorkflowStandIn;
      for (let i = 0; i < 7; i += 1) await batch.seed(`b-${i}`, i % 3 === 0 ? 'completed' : 'running', 10_000 + (i % 4) * 100);
      await batch.put('b-purged', null);
      const ids: string[] = [];
      let url = '/v1/workflows/batch?limit=3';
      for (let pages = 1; ; pages += 1) {
        const page = (await get(url)).json<WorkflowViewPage>();
        ids.push(...page.workflows.map((view) => view.id));
        if (page.next === undefined) {
          expect(pages).toBe(3);
          break;
        }
        url = `/v1/workflows/batch?limit=3&cursor=${page.next}`;
      }
      // createdAt: b-3 300, b-2 and b-6 200, b-1 and b-5 100, b-0 and b-4 0 (plus 10 000).
      expect(ids).toEqual(['b-3', 'b-2', 'b-6', 'b-1', 'b-5', 'b-0', 'b-4']);
      const completed = (await get('/v1/workflows/batch?status=completed')).json<WorkflowViewPage>();
      expect(completed.workflows.map((view) => view.id)).toEqual(['b-3', 'b-6', 'b-0']);
      expect(completed.next).toBeUndefined();
      expect(completed.workflows[0]).toEqual({ id: 'b-3', workflow: 'batch', status: 'completed', input: null, output: null, error: null, customStatus: null, createdAt: 10_300, updatedAt: 10_300, run: 1 });
    });

    it('refuses a bad limit, status or cursor with 400', async () => {
      for (const query of ['limit=0', 'limit=1001', 'status=done', 'cursor=xyz']) {
        const response = await get(`/v1/workflows/batch?${query}`);
        expect(response.statusCode).toBe(400);
        expect(errorOf(response).code).toBe('invalid_argument');
      }
    });
  });

  describe('the HTTP edges', () => {
    it('answers 405 with Allow for a method a workflow path does not take', async () => {
      const terminate = await get('/v1/workflows/order/o-1/terminate');
      expect(terminate.statusCode).toBe(405);
      expect(terminate.headers.allow).toBe('POST');
      const instance = await rig.app.inject({ method: 'PUT', url: '/v1/workflows/order/o-1' });
      expect(instance.statusCode).toBe(405);
      expect(String(instance.headers.allow).split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD', 'POST']);
      expect((await post('/v1/workflows/order/o-1/history')).statusCode).toBe(405);
    });

    it('requires the API token on every workflow route when the gateway has tokens', async () => {
      const token = 'workflow-token-0123456789';
      const app = buildGateway({ ...rig.deps, metricsRegistry: new Registry(), apiTokens: new ApiTokens([token]) });
      try {
        for (const [method, url] of [['GET', '/v1/workflows/order/o-1'], ['GET', '/v1/workflows/order'], ['POST', '/v1/workflows/order/o-x'], ['DELETE', '/v1/workflows/order/o-1']] as const) {
          const refused = await app.inject({ method, url });
          expect(refused.statusCode).toBe(401);
          expect(refused.headers['www-authenticate']).toBe('Bearer realm="colony"');
        }
        expect((await app.inject({ method: 'GET', url: '/v1/workflows/order/o-1', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
      } finally {
        await app.close();
      }
    });

    it('answers a waiting GET at once when the gateway closes, so the close is not held', async () => {
      await order().seed('o-closing', 'running', 1_000);
      const app = buildGateway({ ...rig.deps, metricsRegistry: new Registry() });
      await app.ready();
      const started = Date.now();
      const pending = app.inject({ method: 'GET', url: '/v1/workflows/order/o-closing?wait=10m' });
      await sleep(200);
      await app.close();
      const response = await pending;
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ status: 'running' });
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
});
