import { describe, expect, it } from 'vitest';
import { resolveAgent } from '../manifest/manifest.ts';
import { describeAgent, isSettled } from './describe.ts';
import type { DescribeInput } from './describe.ts';
import { driverPod, heartbeat } from './test-pods.ts';

const spec = resolveAgent(
  { apiVersion: 'colony.dev/v1alpha1', kind: 'Agent', metadata: { name: 'counter' }, spec: { module: 'c.ts', partitions: 4, scaling: { mode: 'manual', replicas: 1 } } },
  'test',
  undefined,
);

function input(overrides: Partial<DescribeInput> = {}): DescribeInput {
  return {
    spec,
    pods: [driverPod('a'), driverPod('b')],
    live: [heartbeat('a', [], { state: 'draining' }), heartbeat('b', [0, 1, 2, 3], { load: { activeInstances: 3 } })],
    silent: [],
    exits: [],
    now: 0,
    leaving: [],
    replicas: 1,
    reason: 'manual: 1 replica',
    owners: ['b', 'b', 'b', 'b'],
    decisions: [],
    ...overrides,
  };
}

describe('describeAgent', () => {
  it('shows a draining pod as leaving, not ready, until the driver no longer lists it', () => {
    const status = describeAgent(input());
    expect(status.pods.map((pod) => [pod.podId, pod.state, pod.leaving])).toEqual([
      ['a', 'draining', true],
      ['b', 'running', false],
    ]);
    expect(status.readyReplicas).toBe(1);
    expect(describeAgent(input({ pods: [driverPod('b')] })).pods.map((pod) => pod.podId)).toEqual(['b']);
  });

  it('shows a pod chosen to leave as leaving while it still runs, and a pod without a heartbeat as pending', () => {
    const status = describeAgent(input({ pods: [driverPod('b'), driverPod('c')], live: [heartbeat('b', [0, 1, 2, 3])], leaving: ['b'] }));
    expect(status.pods.map((pod) => [pod.podId, pod.state, pod.leaving])).toEqual([
      ['b', 'running', true],
      ['c', 'pending', false],
    ]);
    expect(status.readyReplicas).toBe(0);
  });

  it('counts a partition as served only when its owner in the table reports serving it', () => {
    const status = describeAgent(input({ owners: ['b', 'b', 'a', null], live: [heartbeat('a', [2]), heartbeat('b', [0])] }));
    expect(status.partitionsServed).toBe(2);
    expect(status.pods.map((pod) => pod.served)).toEqual([1, 1]);
  });

  it('sums active instances and reports the decision', () => {
    expect(describeAgent(input())).toMatchObject({ desiredReplicas: 1, reason: 'manual: 1 replica', partitions: 4, partitionsServed: 4, activeInstances: 3 });
    expect(describeAgent(input({ replicas: undefined })).desiredReplicas).toBe(0);
  });
});

describe('isSettled', () => {
  it('is settled when enough pods run and every partition is served, never before the first decision', () => {
    const status = describeAgent(input());
    expect(isSettled(status, true)).toBe(true);
    expect(isSettled(status, false)).toBe(false);
    expect(isSettled(describeAgent(input({ owners: ['b', 'b', 'b', null] })), true)).toBe(false);
  });

  it('at zero replicas, is settled once no pod is left', () => {
    expect(isSettled(describeAgent(input({ replicas: 0 })), true)).toBe(false);
    expect(isSettled(describeAgent(input({ replicas: 0, pods: [] })), true)).toBe(true);
  });

  it('shows a pod that went silent as unresponsive, with what its watchdog said, and the Agent\'s recent exits', () => {
    const status = describeAgent(
      input({
        pods: [{ ...driverPod('a'), note: 'blocked: counter/x.spin' }, driverPod('b')],
        live: [heartbeat('b', [0, 1, 2, 3])],
        silent: [{ podId: 'a', lastSeenAt: 1_000 }],
        now: 8_000,
        exits: [{ podId: 'z', at: 500, reason: 'exited with code 3' }],
      }),
    );
    expect(status.pods[0]).toMatchObject({ podId: 'a', state: 'unresponsive' });
    expect(status.pods[0]?.note).toMatch(/^blocked: counter\/x\.spin; no heartbeat for 7 s/);
    expect(status.pods[1]?.note).toBeUndefined();
    expect(status.exits).toEqual([{ podId: 'z', at: 500, reason: 'exited with code 3' }]);
  });

  it("passes on what the scheduler said of a pod it cannot place, and shows it as the pending pod's note", () => {
    const message = '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.';
    const status = describeAgent(input({ pods: [driverPod('b'), driverPod('c', { unschedulable: message })], live: [heartbeat('b', [0, 1, 2, 3])] }));
    expect(status.pods[1]).toMatchObject({ podId: 'c', state: 'pending', unschedulable: message, note: `cannot be scheduled: ${message}` });
    expect(status.pods[0]?.unschedulable).toBeUndefined();
  });
});
