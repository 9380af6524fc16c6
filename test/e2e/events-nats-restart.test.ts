import { fileURLToPath } from 'node:url';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { CURSOR_BUCKET } from '../../agent-runtime/protocol/subjects.ts';
import { cursorKey } from '../../agent-runtime/protocol/topics.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicStreams } from '../../agent-runtime/client/topic-streams.ts';
import type { Platform } from '../../cli/dev/platform.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import { startTestNats } from '../helpers/nats.ts';
import type { TestNats } from '../helpers/nats.ts';

const TALLY = fileURLToPath(new URL('../fixtures/agents/tally', import.meta.url));

/** A subscription's pump across a nats-server that is killed and started again mid-stream. */
describe('events across a nats-server restart', () => {
  let nats: TestNats;
  let harness: TestPlatform;
  let platform: Platform;

  beforeAll(async () => {
    nats = await startTestNats();
    harness = await startTestPlatform('events-nats-restart', TALLY, { natsUrl: nats.url, logLevel: 'error' });
    platform = harness.platform;
  });

  afterAll(async () => {
    await harness?.stop();
    await nats?.close();
  });

  it('goes on from its cursor after nats-server is killed mid-stream, and applies every event exactly once', async () => {
    const publishBatch = async (from: number, count: number): Promise<void> => {
      const nc = await connect({ servers: nats.url });
      try {
        const topics = new TopicStreams(nc, 'default');
        await Promise.all(Array.from({ length: count }, (_, i) => topics.append('tallies', `r-${from + i}`, JSON.stringify({ who: `w${(from + i) % 10}`, n: 1 }))));
      } finally {
        await nc.close();
      }
    };
    await publishBatch(0, 20_000);
    // Mid-stream: the pump's cursor is short of the last event when the server goes.
    const nc = await connect({ servers: nats.url });
    const cursor = await (await new Kvm(nc).open(CURSOR_BUCKET)).get(cursorKey('default', 'tally', 'tallies', 'add'));
    await nc.close();
    expect(cursor?.json<{ seq: number }>().seq ?? 0).toBeLessThan(20_000);
    await nats.kill();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await nats.restart();
    await publishBatch(20_000, 2_000);
    const sumOf = async (key: string): Promise<number | undefined> => {
      const response = await fetch(`${platform.gatewayUrl}/v1/agents/tally/${key}/get`, { method: 'POST', headers: { 'x-colony-timeout': '5s' } });
      return response.status === 200 ? ((await response.json()) as { sum: number }).sum : undefined;
    };
    for (let k = 0; k < 10; k += 1) await expect.poll(() => sumOf(`w${k}`), { timeout: 60_000, interval: 500 }).toBe(2_200);
  }, 120_000);
});
