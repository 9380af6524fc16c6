import { describe, expect, it, vi } from 'vitest';
import { ColonyClient } from '../../agent-runtime/client/client.ts';
import { encodeJson } from '../../agent-runtime/protocol/codec.ts';
import { errorReplyHeaders, OK_REPLY_HEADERS } from '../../agent-runtime/protocol/envelope.ts';
import { ColonyError } from '../../agent-runtime/protocol/errors.ts';
import { partitionOf } from '../../agent-runtime/protocol/partition.ts';
import { requestSubject } from '../../agent-runtime/protocol/subjects.ts';
import { useTestNats } from '../helpers/nats.ts';

describe('ColonyClient against a real nats-server', () => {
  const nats = useTestNats();

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

  it('gives up with the retryable refusal rather than send a last attempt with too little time left to be answered', async () => {
    const client = new ColonyClient(await nats.connect(), { partitionsOf: () => 4 }, { namespace: 'default' });
    const responder = await nats.connect();
    let refusals = 0;
    // A pod under load: it refuses every call, 30 ms after receiving it.
    const subscription = responder.subscribe(requestSubject('default', 'cold', partitionOf('k', 4)), {
      callback: (_error, msg) => {
        refusals += 1;
        const busy = new ColonyError('resource_exhausted', 'cold/k has too many calls queued', { retryAfterSeconds: 3 });
        setTimeout(() => msg.respond(encodeJson(busy.toBody()), { headers: errorReplyHeaders(busy.code) }), 30);
      },
    });
    await responder.flush();
    // No jitter. Each attempt is refused after ~30 ms, and retried after a growing pause; the last one that would be sent
    // with less than twice the last round trip left is not sent. (A deadline long enough for several attempts even on a
    // loaded machine: what is asserted is the outcome, not the timing.)
    const random = vi.spyOn(Math, 'random').mockReturnValue(1);
    const error = await client.call(request(900)).catch((e: unknown) => e);
    random.mockRestore();
    subscription.unsubscribe();
    await responder.close();
    // Not 504 deadline_exceeded: every attempt was refused, so the caller learns nothing ran.
    expect(error).toMatchObject({ code: 'resource_exhausted', retryAfterSeconds: 3 });
    expect(refusals).toBeGreaterThan(1);
  });

  it('keeps retrying a call sent while disconnected once the connection is back, until a pod serves it', async () => {
    const nc = await nats.connect();
    const client = new ColonyClient(nc, { partitionsOf: () => 4 }, { namespace: 'default' });
    const reconnected = (async () => {
      for await (const status of nc.status()) if (status.type === 'reconnect') return;
    })();
    await nats.stop();
    // Published while disconnected: its "no responders" comes only after the reconnect, a long round trip
    // that must not be taken for the time a retry needs (which would give up at once with 503).
    const call = client.call(request(3_000)).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await nats.restart();
    // The pod comes after the caller is back, so the call first finds nobody.
    await reconnected;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const responder = await nats.connect();
    responder.subscribe(requestSubject('default', 'cold', partitionOf('k', 4)), {
      callback: (_error, msg) => {
        msg.respond(new TextEncoder().encode('{"n":2}'), { headers: OK_REPLY_HEADERS });
      },
    });
    await responder.flush();
    const result = await call;
    await responder.close();
    expect(result).not.toBeInstanceOf(Error);
    expect(new TextDecoder().decode((result as { data: Uint8Array }).data)).toBe('{"n":2}');
  }, 20_000);

  it('sends a waiting call again after a reconnect, so a request lost with the old connection is answered before its deadline', async () => {
    const client = new ColonyClient(await nats.connect(), { partitionsOf: () => 4 }, { namespace: 'default' });
    const responder = await nats.connect();
    const seen: string[] = [];
    // The first delivery is lost (as when the server goes away while the pod answers); later ones are answered.
    responder.subscribe(requestSubject('default', 'cold', partitionOf('k', 4)), {
      callback: (_error, msg) => {
        seen.push(msg.headers?.get('Colony-Call-Id') ?? '');
        if (seen.length > 1) msg.respond(new TextEncoder().encode('{"n":1}'), { headers: OK_REPLY_HEADERS });
      },
    });
    await responder.flush();
    const started = Date.now();
    const call = client.call(request(20_000));
    await expect.poll(() => seen.length).toBe(1);
    await nats.stop();
    await nats.restart();
    const result = await call;
    expect(new TextDecoder().decode(result.data)).toBe('{"n":1}');
    // Well before the deadline: the reconnect, not the 20 s timeout, sent it again, with the same call id.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(new Set(seen).size).toBe(1);
  }, 30_000);
});
