import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { openBuckets } from '../../agent-runtime/client/buckets.ts';
import { WAKE_BUCKET } from '../../agent-runtime/protocol/subjects.ts';
import { KvWakeIndex } from '../../agent-runtime/reminders/wake-index.ts';
import { useTestNats } from '../helpers/nats.ts';

/** The wake index a pod reads for every partition it takes over, against a real nats-server. */
describe('the wake index in colony_wake', () => {
  const nats = useTestNats();

  it("lists a partition's entries (not deleted ones, not other partitions) and leaves no consumer behind", async () => {
    const nc = await nats.connect();
    const buckets = await openBuckets(nc);
    const index = new KvWakeIndex(buckets.wake, nc, WAKE_BUCKET, 'default', 'alarm');
    await index.put(3, 'alice', { reminderAt: 1_000, tasks: false });
    await index.put(3, 'bob', { reminderAt: 2_000, tasks: false });
    await index.put(4, 'carol', { reminderAt: null, tasks: true });
    await index.delete(3, 'bob');
    expect(await index.list(3)).toEqual([{ key: 'alice', entry: { reminderAt: 1_000, tasks: false } }]);
    expect(await index.list(5)).toEqual([]);
    // A pod taking over 64 partitions lists each; on a real node kv.keys() left one consumer per
    // list for five minutes, and partition moves reached the stream's limit of 1000.
    for (let partition = 0; partition < 64; partition += 1) await index.list(partition);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(`KV_${WAKE_BUCKET}`)).state.consumer_count).toBe(0);
  });
});
