import { fileURLToPath } from 'node:url';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../cli/dev/platform.ts';
import { topicStream } from '../../agent-runtime/protocol/topics.ts';
import { TopicStreams } from '../../agent-runtime/client/topic-streams.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';

const LOYALTY = fileURLToPath(new URL('../../examples/loyalty', import.meta.url));
const TALLY = fileURLToPath(new URL('../fixtures/agents/tally', import.meta.url));
const SLEEPY_TALLY = fileURLToPath(new URL('../fixtures/agents/sleepy-tally', import.meta.url));

interface Points {
  points: number;
  orders: number;
  level: string;
  last: string[];
}

/** Topics and subscriptions with examples/loyalty, on real pods and a real nats-server. */
describe('events: topics, subscriptions, the outbox', () => {
  let harness: TestPlatform;
  let platform: Platform;
  let nc: NatsConnection;

  const publish = (event: unknown, headers: Record<string, string> = {}, topic = 'orders') =>
    fetch(`${platform.gatewayUrl}/v1/topics/${topic}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(event) });
  const points = async (customer: string): Promise<Points> =>
    (await (await fetch(`${platform.gatewayUrl}/v1/agents/loyalty/${customer}/points`, { method: 'POST' })).json()) as Points;
  /** Every event stored in a topic, in order. */
  const eventsOf = async (topic: string): Promise<unknown[]> => {
    const js = jetstream(nc);
    const consumer = await js.consumers.get(topicStream('default', topic), { deliver_policy: DeliverPolicy.All });
    const out: unknown[] = [];
    const info = await consumer.info(true);
    let left = info.num_pending;
    while (left > 0) {
      const message = await consumer.next({ expires: 2_000 });
      if (!message) break;
      out.push(message.json());
      left -= 1;
    }
    return out;
  };

  beforeAll(async () => {
    harness = await startTestPlatform('events', [LOYALTY, TALLY, SLEEPY_TALLY]);
    platform = harness.platform;
    nc = await connect({ servers: platform.natsUrl });
  });

  afterAll(async () => {
    await nc?.close();
    await harness?.stop();
  });

  it('POST /v1/topics/orders stores the event (202 {id, topic, seq}) and the subscriber applies it', async () => {
    const response = await publish({ orderId: 'o-1', customer: 'ann', amount: 40 });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { id: string; topic: string; seq: number };
    expect(body).toMatchObject({ topic: 'orders', seq: 1 });
    expect(body.id).toMatch(/\S+/);
    await expect.poll(() => points('ann'), { timeout: 10_000 }).toMatchObject({ points: 40, orders: 1, last: ['o-1'] });
  });

  it("lists each Agent's subscriptions in GET /v1/agents (code and manifest alike)", async () => {
    const { agents } = (await (await fetch(`${platform.gatewayUrl}/v1/agents`)).json()) as { agents: { name: string; subscriptions?: unknown }[] };
    expect(agents.find((a) => a.name === 'loyalty')?.subscriptions).toEqual([{ topic: 'orders', method: 'onOrder' }]);
    expect(agents.find((a) => a.name === 'tally')?.subscriptions).toEqual([{ topic: 'tallies', method: 'add' }]);
  });

  it('takes an Idempotency-Key as the event id: the same key again stores nothing new and counts once', async () => {
    const first = (await (await publish({ orderId: 'o-2', customer: 'bob', amount: 10 }, { 'idempotency-key': 'order-o-2' })).json()) as { seq: number };
    const again = await publish({ orderId: 'o-2', customer: 'bob', amount: 10 }, { 'idempotency-key': 'order-o-2' });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ id: 'order-o-2', topic: 'orders', seq: first.seq, duplicate: true });
    await expect.poll(() => points('bob'), { timeout: 10_000 }).toMatchObject({ points: 10, orders: 1 });
  });

  it('refuses a bad topic name and a body that is not JSON, saying why', async () => {
    const bad = await publish({}, {}, 'Orders!');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/is not a topic name/);
    const notJson = await fetch(`${platform.gatewayUrl}/v1/topics/orders`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { message: string } }).error.message).toMatch(/content-type: application\/json/);
    const empty = await fetch(`${platform.gatewayUrl}/v1/topics/orders`, { method: 'POST' });
    expect(empty.status).toBe(400);
  });

  it('applies many events in order for each key, each exactly once', async () => {
    const customers = Array.from({ length: 20 }, (_, i) => `c${i}`);
    const sent = new Map(customers.map((c) => [c, [] as string[]]));
    const requests: Promise<Response>[] = [];
    for (let i = 0; i < 400; i += 1) {
      const customer = customers[i % customers.length] as string;
      const orderId = `k${i}`;
      sent.get(customer)?.push(orderId);
      // Published one after the other for each key (the topic's order is the publish order).
      requests.push(publish({ orderId, customer, amount: 1 }));
      if (i % customers.length === customers.length - 1) expect((await Promise.all(requests.splice(0))).every((r) => r.status === 202)).toBe(true);
    }
    for (const customer of customers) {
      await expect.poll(async () => (await points(customer)).orders, { timeout: 30_000 }).toBe(20);
      const got = await points(customer);
      expect(got.points).toBe(20);
      expect(got.last).toEqual(sent.get(customer)?.slice(-5));
    }
  });

  it('publishes ctx.publish events with the turn that made them, once', async () => {
    await publish({ orderId: 'r-1', customer: 'rich', amount: 150 });
    await expect.poll(() => points('rich'), { timeout: 10_000 }).toMatchObject({ level: 'silver' });
    await expect.poll(() => eventsOf('rewards'), { timeout: 10_000 }).toEqual([{ customer: 'rich', level: 'silver', points: 150 }]);
  });

  it('sends an event its method refuses to orders-dead-letter with why, and publishes nothing from the failed turn', async () => {
    await publish({ orderId: 'bad-1', customer: 'rich', amount: -5 });
    await publish({ orderId: 'r-2', customer: 'rich', amount: 1000 });
    // The next order of the same customer is applied after the failed one was set aside.
    await expect.poll(() => points('rich'), { timeout: 20_000 }).toMatchObject({ points: 1150, level: 'gold' });
    const dead = (await eventsOf('orders-dead-letter')) as { key: string; method: string; attempts: number; error: { code: string; message: string }; event: unknown }[];
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ key: 'rich', method: 'onOrder', attempts: 1, error: { code: 'invalid_argument' }, event: { orderId: 'bad-1' } });
    expect(dead[0]?.error.message).toMatch(/amount must be a non-negative integer/);
    expect(await eventsOf('rewards')).toEqual([
      { customer: 'rich', level: 'silver', points: 150 },
      { customer: 'rich', level: 'gold', points: 1150 },
    ]);
  });

  it("applies every event exactly once when the subscriber's pod is killed (kill -9) mid-stream", async () => {
    const customers = Array.from({ length: 50 }, (_, i) => `k9-${i}`);
    const total = 2_000;
    let allPublished = false;
    const publishing = (async () => {
      for (let i = 0; i < total; i += 50) {
        const batch = Array.from({ length: 50 }, (_, j) => publish({ orderId: `x${i + j}`, customer: customers[(i + j) % customers.length], amount: 1 }));
        expect((await Promise.all(batch)).every((r) => r.status === 202)).toBe(true);
      }
      allPublished = true;
    })();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(allPublished, 'the pod is killed while events still arrive').toBe(false);
    const [pod] = platform.driver.pods('default', 'loyalty');
    expect(platform.driver.signal(pod?.podId as string, 'SIGKILL')).toBe(true);
    await publishing;
    for (const customer of customers) {
      await expect.poll(async () => (await points(customer)).orders, { timeout: 60_000, interval: 250 }).toBe(total / customers.length);
    }
    for (const customer of customers) expect((await points(customer)).points).toBe(total / customers.length);
  }, 120_000);

  it('runs a subscription from the manifest (spec.subscriptions), retrying a failing event maxAttempts times before the dead-letter topic', async () => {
    for (const n of [1, 2, 3]) expect((await publish({ who: 'zed', n }, {}, 'tallies')).status).toBe(202);
    expect((await publish({ who: 'zed', n: 100, fail: true }, {}, 'tallies')).status).toBe(202);
    expect((await publish({ who: 'zed', n: 4 }, {}, 'tallies')).status).toBe(202);
    const tally = async () => (await (await fetch(`${platform.gatewayUrl}/v1/agents/tally/zed/get`, { method: 'POST' })).json()) as { sum: number; seen: number };
    // The failing event is tried twice (seen counts only committed turns: its failures roll back), then set aside.
    await expect.poll(tally, { timeout: 20_000 }).toEqual({ sum: 10, seen: 4 });
    const dead = (await eventsOf('tallies-dead-letter')) as { attempts: number; error: { code: string } }[];
    expect(dead).toMatchObject([{ attempts: 2, error: { code: 'failed_precondition' } }]);
  });

  it('wakes an Agent scaled to zero for the events of its topics, and lets it go back to zero once they are handled', async () => {
    const pods = () => platform.driver.pods('default', 'sleepy-tally').length;
    await expect.poll(pods, { timeout: 20_000, interval: 200 }).toBe(0);
    for (const n of [5, 6]) expect((await publish({ who: 'owl', n }, {}, 'naps')).status).toBe(202);
    await expect.poll(pods, { timeout: 20_000, interval: 200 }).toBeGreaterThan(0);
    const tally = async () => (await (await fetch(`${platform.gatewayUrl}/v1/agents/sleepy-tally/owl/get`, { method: 'POST' })).json()) as { sum: number };
    await expect.poll(tally, { timeout: 20_000 }).toMatchObject({ sum: 11 });
    const status = async () => (await (await fetch(`${platform.gatewayUrl}/v1/agents/sleepy-tally/status`)).json()) as { eventLag?: number };
    await expect.poll(async () => (await status()).eventLag, { timeout: 10_000 }).toBe(0);
    await expect.poll(pods, { timeout: 30_000, interval: 250 }).toBe(0);
  }, 90_000);

  it('counts 100,000 events fanned into 1,000 instances exactly', async () => {
    const topics = new TopicStreams(nc, 'default');
    const total = 100_000;
    const keys = 1_000;
    for (let i = 0; i < total; i += 1_000) {
      await Promise.all(Array.from({ length: 1_000 }, (_, j) => topics.append('tallies', `fan-${i + j}`, JSON.stringify({ who: `h${(i + j) % keys}`, n: 1 }))));
    }
    const sumOf = async (key: string) => ((await (await fetch(`${platform.gatewayUrl}/v1/agents/tally/${key}/get`, { method: 'POST' })).json()) as { sum: number }).sum;
    await expect.poll(() => sumOf(`h${keys - 1}`), { timeout: 90_000, interval: 500 }).toBe(total / keys);
    const status = async () => ((await (await fetch(`${platform.gatewayUrl}/v1/agents/tally/status`)).json()) as { eventLag?: number }).eventLag;
    await expect.poll(status, { timeout: 60_000, interval: 500 }).toBe(0);
    const sums = await Promise.all(Array.from({ length: keys }, (_, k) => sumOf(`h${k}`)));
    expect(sums.filter((sum) => sum !== total / keys)).toEqual([]);
    // The lag is a Prometheus metric of the gateway too.
    await expect.poll(async () => (await (await fetch(`${platform.gatewayUrl}/metrics`)).text()).match(/^colony_agent_event_lag\{agent="tally"\} (\d+)$/m)?.[1], { timeout: 10_000 }).toBe('0');
  }, 180_000);
});

