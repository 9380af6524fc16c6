import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ColonyClient } from '../../agent-runtime/client/client.ts';
import { ColonyError } from '../../agent-runtime/protocol/errors.ts';
import { startTestNats } from '../helpers/nats.ts';
import type { TestNats } from '../helpers/nats.ts';

describe('ColonyClient against a real nats-server', () => {
  let nats: TestNats;

  beforeAll(async () => {
    nats = await startTestNats();
  });

  afterAll(async () => {
    await nats?.close();
  });

  const request = (deadlineMs: number) => ({
    agent: 'cold',
    key: 'k',
    method: 'm',
    input: new Uint8Array(0),
    deadline: Date.now() + deadlineMs,
    callId: crypto.randomUUID(),
    chain: 'c',
    depth: 0,
  });

  it('holds calls while nobody serves the partition, keeps signalling demand, and gives up with 503 at the deadline', async () => {
    const demands: string[] = [];
    const client = new ColonyClient(await nats.connect(), { partitionsOf: () => 4 }, { namespace: 'default', onNoResponders: (agent) => demands.push(agent) });
    const started = Date.now();
    const error = await client.call(request(300)).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(error).toBeInstanceOf(ColonyError);
    expect((error as ColonyError).code).toBe('unavailable');
    expect((error as ColonyError).retryAfterSeconds).toBe(1);
    expect(demands.length).toBeGreaterThan(1);
    expect(new Set(demands)).toEqual(new Set(['cold']));
    expect(client.waiting).toBe(0);
  });

  it('refuses at once the calls beyond the hold limit', async () => {
    const client = new ColonyClient(await nats.connect(), { partitionsOf: () => 4 }, { namespace: 'default', maxWaiting: 2 });
    const held = [client.call(request(500)).catch((e: unknown) => e), client.call(request(500)).catch((e: unknown) => e)];
    await expect.poll(() => client.waiting).toBe(2);
    const started = Date.now();
    const refused = await client.call(request(500)).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(200);
    expect((refused as ColonyError).message).toContain('2 calls are already waiting');
    await Promise.all(held);
    expect(client.waiting).toBe(0);
  });

  it('answers not_found for an Agent it does not know', async () => {
    const client = new ColonyClient(await nats.connect(), { partitionsOf: () => undefined }, { namespace: 'default' });
    await expect(client.call(request(500))).rejects.toMatchObject({ code: 'not_found' });
  });
});
