import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { TopicStreams } from '../../agent-runtime/client/topic-streams.ts';
import { CURSOR_BUCKET } from '../../agent-runtime/protocol/subjects.ts';
import { cursorKey, topicStream } from '../../agent-runtime/protocol/topics.ts';
import type { Platform } from '../../cli/dev/platform.ts';
import { sleep } from '../harness.ts';
import type { Row } from '../harness.ts';
import { percentile } from '../stats.ts';

/**
 * Events into agents, next to the floor measured in the same run: the same
 * events published to a JetStream stream and read back by one ordered
 * consumer, with no agent in between (what a subscription cannot beat).
 */
export async function eventScenarios(platform: Platform, options: { events: number; keys: number; pings: number }): Promise<Row[]> {
  const nc = await connect({ servers: platform.natsUrl });
  try {
    const topics = new TopicStreams(nc, 'default');
    const publishAll = async (topic: string, count: number, event: (i: number) => unknown): Promise<void> => {
      const batch = 500;
      for (let i = 0; i < count; i += batch) {
        await Promise.all(Array.from({ length: Math.min(batch, count - i) }, (_, j) => topics.append(topic, `${topic}-${i + j}-${Date.now()}`, JSON.stringify(event(i + j)))));
      }
    };

    // The floor: publish, then read everything back with one ordered consumer.
    const floorStarted = performance.now();
    await publishAll('bench-floor', options.events, (i) => ({ k: `k${i % options.keys}` }));
    const consumer = await jetstream(nc).consumers.get(topicStream('default', 'bench-floor'), { deliver_policy: DeliverPolicy.All });
    let read = 0;
    while (read < options.events) {
      const batch = await consumer.fetch({ max_messages: 1000, expires: 5_000 });
      let got = 0;
      for await (const message of batch) {
        void message;
        got += 1;
      }
      if (got === 0) throw new Error(`the floor's consumer read ${read} of ${options.events} events`);
      read += got;
    }
    const floorMs = performance.now() - floorStarted;
    const floorRate = (options.events / floorMs) * 1000;

    // Into agents: published as fast as JetStream takes them; done when the subscription's cursor reaches the last event.
    const cursors = await new Kvm(nc).open(CURSOR_BUCKET);
    const last = await topics.lastSeq('bench-in');
    const started = performance.now();
    await publishAll('bench-in', options.events, (i) => ({ k: `k${i % options.keys}` }));
    const target = last + options.events;
    for (;;) {
      const cursor = await cursors.get(cursorKey('default', 'events', 'bench-in', 'count'));
      if (cursor && cursor.json<{ seq: number }>().seq >= target) break;
      await sleep(20);
    }
    const intoMs = performance.now() - started;
    const intoRate = (options.events / intoMs) * 1000;

    // Latency: one event at a time; handled when the event its handler published with its turn arrives.
    await topics.ensure('bench-out');
    const out = await jetstream(nc).consumers.get(topicStream('default', 'bench-out'), { deliver_policy: DeliverPolicy.New });
    const latencies: number[] = [];
    for (let i = 0; i < options.pings; i += 1) {
      const t = performance.now();
      await topics.append('bench-ping', `ping-${i}-${Date.now()}`, JSON.stringify({ k: `p${i % 8}`, i, t }));
      const echo = await out.next({ expires: 10_000 });
      if (!echo) throw new Error(`no echo of ping ${i} within 10 s`);
      latencies.push(performance.now() - t);
    }
    return [
      { name: `floor: JetStream publish + one ordered consumer (${options.events.toLocaleString('en-US')} events)`, throughput: floorRate, compare: 'what a subscription cannot beat' },
      {
        name: `events into agents: ${options.events.toLocaleString('en-US')} over ${options.keys.toLocaleString('en-US')} keys`,
        throughput: intoRate,
        compare: `${((intoRate / floorRate) * 100).toFixed(0)} % of the floor; each event a turn with its state written`,
      },
      {
        name: `publish → handled, one at a time (${options.pings}×)`,
        throughput: (latencies.length / latencies.reduce((a, b) => a + b, 0)) * 1000,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        compare: 'until the event the handler publishes with its turn is seen',
      },
    ];
  } finally {
    await nc.close();
  }
}
