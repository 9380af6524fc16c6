import { describe, expect, it } from 'vitest';
import type { PodStatusRecord } from '../../agent-runtime/protocol/registry.ts';
import { resolveAgent } from '../manifest/manifest.ts';
import type { AgentStatus } from '../reconcile/describe.ts';
import { agentStatus, refusedStatus } from './status.ts';
import type { AgentObject, Condition } from './status.ts';

const object: AgentObject = { apiVersion: 'colony.dev/v1alpha1', kind: 'Agent', metadata: { name: 'embedder', namespace: 'default', generation: 2 }, spec: {} };
const spec = resolveAgent({ ...object, spec: { module: 'embedder.ts', partitions: 4, scaling: { mode: 'manual', replicas: 2 } } }, 'default/embedder', undefined);
const NOW = Date.parse('2026-12-01T10:00:00Z');
const GPU = '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.';

function pod(podId: string, more: Partial<PodStatusRecord> = {}): PodStatusRecord {
  return { podId, state: 'running', leaving: false, served: 4, load: undefined, startedAt: NOW - 60_000, restarts: 0, detail: {}, ...more };
}

function status(pods: PodStatusRecord[], more: Partial<AgentStatus> = {}): AgentStatus {
  const ready = pods.filter((p) => p.state === 'running').length;
  return {
    namespace: 'default',
    name: 'embedder',
    origin: 'default/embedder',
    desiredReplicas: 2,
    reason: 'manual: 2 replicas',
    readyReplicas: ready,
    partitions: 4,
    partitionsServed: ready > 0 ? 4 : 0,
    activeInstances: 0,
    pods,
    decisions: [],
    exits: [],
    ...more,
  };
}

const conditionOf = (type: Condition['type'], pods: PodStatusRecord[]): Pick<Condition, 'status' | 'reason' | 'message'> | undefined => {
  const found = agentStatus(object, spec, status(pods), undefined, NOW).conditions.find((c) => c.type === type);
  return found && { status: found.status, reason: found.reason, message: found.message };
};

describe('agentStatus', () => {
  it('says that pods cannot be scheduled, how many, and why, in the Degraded condition', () => {
    const pods = [pod('embedder-agent-a'), pod('embedder-agent-b', { state: 'pending', served: 0, unschedulable: GPU })];
    expect(conditionOf('Degraded', pods)).toEqual({ status: 'True', reason: 'Unschedulable', message: `1 of 2 pods cannot be scheduled: ${GPU}` });
    // One pod serves every partition: the Agent is ready, though short of a pod.
    expect(conditionOf('Ready', pods)).toMatchObject({ status: 'True', reason: 'AllPartitionsServed' });
  });

  it('when no pod can be scheduled, gives Unschedulable as the Ready reason (the Status column of kubectl get agents)', () => {
    const pods = [pod('embedder-agent-a', { state: 'pending', served: 0, unschedulable: GPU }), pod('embedder-agent-b', { state: 'pending', served: 0, unschedulable: GPU })];
    expect(conditionOf('Ready', pods)).toEqual({ status: 'False', reason: 'Unschedulable', message: `2 of 2 pods cannot be scheduled: ${GPU}` });
    expect(conditionOf('Degraded', pods)).toMatchObject({ status: 'True', reason: 'Unschedulable' });
  });

  it('tells pods still starting from pods without a node, and a healthy Agent from a degraded one', () => {
    const starting = [pod('embedder-agent-a', { state: 'pending', served: 0 })];
    expect(conditionOf('Ready', starting)).toMatchObject({ status: 'False', reason: 'PodsStarting' });
    expect(conditionOf('Degraded', starting)).toEqual({ status: 'False', reason: 'Healthy', message: 'no pod is failing' });
  });

  it('names every problem in the Degraded message', () => {
    const pods = [pod('embedder-agent-a', { state: 'pending', served: 0, restarts: 3 }), pod('embedder-agent-b', { state: 'pending', served: 0, unschedulable: GPU })];
    expect(conditionOf('Degraded', pods)).toEqual({
      status: 'True',
      reason: 'Unschedulable',
      message: `1 of 2 pods cannot be scheduled: ${GPU}; pods restarting: embedder-agent-a (3 restarts)`,
    });
  });

  it("shows a member of a placement group with the group's pods, and the settings of it that are ignored in Degraded", () => {
    const warning = 'spec.partitions of embedder is ignored: the pods of placement group "ml" take them from a-lead, its first member by name';
    const written = agentStatus(object, spec, status([pod('ml-agent-a')], { group: 'ml', warning }), undefined, NOW);
    expect(written).toMatchObject({ group: 'ml', selector: 'colony.dev/agent=ml,app.kubernetes.io/component=runtime' });
    expect(written.conditions.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'SettingsIgnored', message: warning });
    expect(agentStatus(object, spec, status([pod('embedder-agent-a')]), undefined, NOW).group).toBeUndefined();
  });
});

describe('refusedStatus', () => {
  it('says why a member of a refused placement group has no pods, in Ready and Degraded', () => {
    const member = resolveAgent({ ...object, spec: { module: 'embedder.ts', placement: { group: 'search' } } }, 'default/embedder', undefined);
    const message = 'placement group "search" has the name of Agent search, which is not in it; rename the group (spec.placement.group)';
    const written = refusedStatus(object, member, message, undefined, NOW);
    expect(written).toMatchObject({ observedGeneration: 2, replicas: 0, readyReplicas: 0, group: 'search' });
    expect(written.conditions.map(({ type, status, reason }) => ({ type, status, reason }))).toEqual([
      { type: 'Ready', status: 'False', reason: 'PlacementGroupRefused' },
      { type: 'Degraded', status: 'True', reason: 'PlacementGroupRefused' },
    ]);
    expect(written.conditions[1]?.message).toBe(message);
  });
});
