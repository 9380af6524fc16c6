import type { V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { schedulerMessage, unschedulable, unschedulableMessage } from './unschedulable.ts';

const GPU_MESSAGE = '0/1 nodes are available: 1 Insufficient nvidia.com/gpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..';

function pod(...conditions: V1PodCondition[]): V1Pod {
  return { metadata: { name: 'embedder-agent-7d9f-abcde' }, status: { phase: 'Pending', conditions } };
}

describe('schedulerMessage', () => {
  it("reads the scheduler's message of a pod it could not place, without the preemption note", () => {
    expect(schedulerMessage(pod({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: GPU_MESSAGE }))).toBe(
      '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.',
    );
    expect(schedulerMessage(pod({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector." }))).toBe(
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
    );
    expect(schedulerMessage(pod({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }))).toBe('no reason given by the scheduler');
  });

  it('says nothing of a pod that is placed, not yet tried, or held back for another reason', () => {
    expect(schedulerMessage(pod({ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False', reason: 'ContainersNotReady' }))).toBeUndefined();
    expect(schedulerMessage(pod())).toBeUndefined();
    expect(schedulerMessage({})).toBeUndefined();
    expect(schedulerMessage(pod({ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' }))).toBeUndefined();
  });
});

describe('unschedulable', () => {
  it('counts the pods the scheduler cannot place, out of all the pods, with what it says', () => {
    const report = unschedulable([{ podId: 'b', unschedulable: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.' }, { podId: 'a' }]);
    expect(report).toEqual({ pods: 1, of: 2, message: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.' });
    expect(unschedulableMessage(report!)).toBe('1 of 2 pods cannot be scheduled: 0/1 nodes are available: 1 Insufficient nvidia.com/gpu.');
    expect(unschedulableMessage({ pods: 1, of: 1, message: 'x.' })).toBe('1 of 1 pod cannot be scheduled: x.');
  });

  it('reports nothing when every pod is placed, or there are none', () => {
    expect(unschedulable([{ podId: 'a' }, { podId: 'b', unschedulable: undefined }])).toBeUndefined();
    expect(unschedulable([])).toBeUndefined();
  });

  it('reports the message of the first pod by name, whatever order the pods are listed in', () => {
    const pods = [
      { podId: 'c', unschedulable: '0/3 nodes are available: 3 Insufficient memory.' },
      { podId: 'a', unschedulable: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.' },
    ];
    expect(unschedulable(pods)).toEqual({ pods: 2, of: 2, message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.' });
    expect(unschedulable([...pods].reverse())).toEqual(unschedulable(pods));
  });
});
