import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../helpers/call.ts';
import type { Answer } from '../helpers/call.ts';
import { startColonyDev } from '../helpers/colony-dev.ts';
import type { ColonyDev } from '../helpers/colony-dev.ts';

/** The examples' workflows as a user runs them: `colony dev examples/`, then HTTP. */
describe('workflows over HTTP, with colony dev', () => {
  let dev: ColonyDev;

  const request = (method: string, path: string, body?: unknown): Promise<Answer> => requestJson(dev.url, method, path, body);

  beforeAll(async () => {
    dev = await startColonyDev();
  });

  afterAll(async () => {
    await dev?.stop();
  });

  it('says which Agents are workflows, and their activities: in the ready summary and GET /v1/agents', async () => {
    expect(dev.output()).toMatch(/^ {4}fanout +1\/1 pod +16 partitions +workflow \(activities: add\) +\(examples\/fanout\/agent\.yaml\)$/m);
    expect(dev.output()).toMatch(/^ {4}counter +1\/1 pod +64 partitions +methods: get, increment +\(/m);
    const { body } = await request('GET', '/v1/agents/fanout');
    expect(body).toMatchObject({ name: 'fanout', kind: 'workflow', methods: {}, activities: ['add'] });
    expect((await request('GET', '/v1/agents/counter')).body).toMatchObject({ kind: 'agent' });
  });

  it('starts the fanout example and answers its output with ?wait', async () => {
    const started = await request('POST', '/v1/workflows/fanout/http-fan', { n: 1_000, tally: 'http-fan' });
    expect({ status: started.status, body: started.body }).toEqual({ status: 202, body: { id: 'http-fan', workflow: 'fanout', status: 'running' } });
    const done = await request('GET', '/v1/workflows/fanout/http-fan?wait=30s');
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ id: 'http-fan', workflow: 'fanout', status: 'completed', output: { sum: 499_500, count: 1_000 }, input: { n: 1_000, tally: 'http-fan' } });
    const again = await request('POST', '/v1/workflows/fanout/http-fan', { n: 1, tally: 'x' });
    expect(again.status).toBe(409);
    expect((again.body.error as { code: string }).code).toBe('already_exists');
    const history = await request('GET', '/v1/workflows/fanout/http-fan/history');
    expect(history.status).toBe(200);
    expect((history.body.steps as unknown[]).length).toBe(1_001);
  });

  it('runs the approval example: an event, and a timeout', async () => {
    expect((await request('POST', '/v1/workflows/approval/http-yes', { amount: 5, timeoutMs: 60_000 })).status).toBe(202);
    expect((await request('POST', '/v1/workflows/approval/http-yes/events/decision', { approved: true })).status).toBe(202);
    expect((await request('GET', '/v1/workflows/approval/http-yes?wait=10s')).body).toMatchObject({ status: 'completed', output: { approved: true, timedOut: false } });
    expect((await request('POST', '/v1/workflows/approval/http-late', { amount: 5, timeoutMs: 300 })).status).toBe(202);
    expect((await request('GET', '/v1/workflows/approval/http-late?wait=10s')).body).toMatchObject({ status: 'completed', output: { approved: false, timedOut: true } });
    expect((await request('GET', '/v1/workflows/approval/nobody')).status).toBe(404);
  });
});
