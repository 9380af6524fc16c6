import type { KV } from '@nats-io/kv';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../agent-runtime/observability/log.ts';
import type { PodHeartbeat } from '../agent-runtime/protocol/placement.ts';
import { AgentController } from './agent-controller.ts';
import { DEFAULT_AUTOSCALER_TUNABLES } from './autoscaler/tunables.ts';
import type { DriverPod, PodDriver } from './drivers/driver.ts';
import { PodTracker } from './pods/pod-tracker.ts';
import { resolveAgent } from './manifest/manifest.ts';

const NOW = 1_000_000;

/** KV buckets that accept every write and hold nothing (the controller only needs put and get). */
const emptyKv = (): KV => {
  let revision = 0;
  return { get: async () => null, put: async () => (revision += 1) } as unknown as KV;
};

/** A driver whose pods stay listed until the test says they exited, as a draining pod does. */
function fakeDriver(podIds: string[]) {
  const pods = new Map<string, DriverPod>(podIds.map((podId, i) => [podId, { podId, agent: 'counter', namespace: 'default', startedAt: NOW - 1_000 * (i + 1), restarts: 0, detail: {} }]));
  const removed: string[] = [];
  const driver = {
    scale: async (_spec: unknown, _replicas: number, remove: readonly string[] = []) => {
      removed.push(...remove);
    },
    pods: () => [...pods.values()],
  } as unknown as PodDriver;
  return { driver, removed, exit: (podId: string) => pods.delete(podId) };
}

const heartbeat = (podId: string, owned: number[]): PodHeartbeat => ({
  namespace: 'default',
  agent: 'counter',
  podId,
  state: 'running',
  owned,
  tableEpoch: 1,
  load: { inflight: 0, queued: 0, activeInstances: 0, turns: 0, turnLatencyP50Ms: 0, turnLatencyP99Ms: 0, cpu: 0, heapUsedBytes: 0, rssBytes: 0 },
  startedAt: NOW - 10_000,
  sentAt: NOW,
});

describe('AgentController scale-down', () => {
  const setup = () => {
    const spec = resolveAgent(
      { apiVersion: 'colony.dev/v1alpha1', kind: 'Agent', metadata: { name: 'counter' }, spec: { module: 'c.ts', partitions: 4, scaling: { mode: 'manual', replicas: 1 } } },
      'test',
      undefined,
    );
    const tracker = new PodTracker();
    // `a` holds nothing (it already handed its partitions over), `b` holds them all.
    tracker.record(heartbeat('a', []), NOW);
    tracker.record(heartbeat('b', [0, 1, 2, 3]), NOW);
    const { driver, removed, exit } = fakeDriver(['a', 'b']);
    const controller = new AgentController(spec, {
      driver,
      tunables: DEFAULT_AUTOSCALER_TUNABLES,
      tracker,
      placementKv: emptyKv(),
      registryKv: emptyKv(),
      log: createLogger({ sink: () => undefined }),
      now: () => NOW,
    });
    const reconcile = async (): Promise<void> => {
      controller.trigger();
      await controller.settled();
    };
    return { tracker, controller, removed, exit, reconcile };
  };

  it('does not choose a draining pod again: once it reports draining it is not counted, only shown as leaving', async () => {
    const { tracker, controller, removed, exit, reconcile } = setup();
    await controller.start();
    await reconcile();
    expect(removed).toEqual(['a']);
    // `a` got its SIGTERM and says so in its next heartbeat.
    tracker.record({ ...heartbeat('a', []), state: 'draining' }, NOW);
    for (let i = 0; i < 3; i += 1) await reconcile();
    expect(removed).toEqual(['a']);
    expect(controller.status().pods.map((pod) => [pod.podId, pod.leaving])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    exit('a');
    await reconcile();
    expect(removed).toEqual(['a']);
    expect(controller.status().pods.map((pod) => pod.podId)).toEqual(['b']);
  });

  it('asks again for a pod that still reports running (Kubernetes kept it, as in a rollout), rather than forgetting it', async () => {
    const { controller, removed, reconcile } = setup();
    await controller.start();
    await reconcile();
    await reconcile();
    expect(removed).toEqual(['a', 'a']);
  });
});
