import { beforeAll, describe, expect, it } from 'vitest';
import { openBuckets } from '../../agent-runtime/client/buckets.ts';
import { RegistryView } from '../../agent-runtime/client/registry-view.ts';
import { registryApiKey, registrySpecKey } from '../../agent-runtime/protocol/subjects.ts';
import { KvStateStore, StaleStateError } from '../../agent-runtime/state/state-store.ts';
import { useTestNats } from '../helpers/nats.ts';

describe('instance state in JetStream KV', () => {
  const nats = useTestNats();
  let store: KvStateStore;

  beforeAll(async () => {
    const buckets = await openBuckets(await nats.connect());
    store = new KvStateStore(buckets.state, 'default', 'counter');
  });

  it('starts at revision 0 for a key never written, with any UTF-8 key', async () => {
    expect(await store.load('nobody / ünïcødé ✓')).toEqual({ record: undefined, revision: 0 });
  });

  it('writes with compare-and-set on the revision it loaded', async () => {
    const key = 'cas';
    const first = await store.save(key, '{"v":1,"state":{"count":1},"calls":[]}', 0);
    const loaded = await store.load(key);
    expect(loaded.revision).toBe(first);
    expect(loaded.record?.state).toEqual({ count: 1 });
    const second = await store.save(key, '{"v":1,"state":{"count":2},"calls":[]}', first);
    expect(second).toBeGreaterThan(first);
  });

  it('refuses a write at a stale revision (a pod that lost ownership cannot overwrite newer state)', async () => {
    const key = 'fenced';
    const revision = await store.save(key, '{"v":1,"state":{"owner":"a"},"calls":[]}', 0);
    await store.save(key, '{"v":1,"state":{"owner":"b"},"calls":[]}', revision);
    await expect(store.save(key, '{"v":1,"state":{"owner":"a-late"},"calls":[]}', revision)).rejects.toBeInstanceOf(StaleStateError);
    await expect(store.save(key, '{"v":1,"state":{"owner":"new"},"calls":[]}', 0)).rejects.toBeInstanceOf(StaleStateError);
    expect((await store.load(key)).record?.state).toEqual({ owner: 'b' });
  });
});

describe('RegistryView', () => {
  const nats = useTestNats();

  it('loads what is there and follows puts and deletes', async () => {
    const { registry } = await openBuckets(await nats.connect());
    const spec = { namespace: 'default', name: 'counter', partitions: 8, minReplicas: 1, maxReplicas: 2, updatedAt: 1 };
    await registry.put(registrySpecKey('default', 'counter'), JSON.stringify(spec));
    await registry.put(registrySpecKey('other', 'counter'), JSON.stringify({ ...spec, namespace: 'other', partitions: 3 }));
    const view = new RegistryView(registry, 'default');
    await view.start();
    try {
      expect(view.partitionsOf('counter')).toBe(8);
      expect(view.get('counter')?.api).toBeUndefined();
      const changed = new Promise<void>((resolve) => view.onChange(resolve));
      await registry.put(registryApiKey('default', 'counter'), JSON.stringify({ namespace: 'default', name: 'counter', methods: { get: {} }, updatedAt: 2 }));
      await changed;
      expect(Object.keys(view.get('counter')?.api?.methods ?? {})).toEqual(['get']);
      await registry.delete(registrySpecKey('default', 'counter'));
      await expect.poll(() => view.partitionsOf('counter')).toBeUndefined();
      expect(view.list()).toEqual([]);
    } finally {
      view.stop();
    }
  });
});
