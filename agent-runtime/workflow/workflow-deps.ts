import { jetstream } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { openJournal } from '../client/journal.ts';
import type { KV } from '@nats-io/kv';
import type { Caller } from '../activation/caller.ts';
import type { ColonyClient } from '../client/client.ts';
import { decodeJson, encodeJson } from '../protocol/codec.ts';
import type { RetryPolicy, WorkflowFn } from '../sdk/workflow.ts';
import type { Step } from './step.ts';
import { unwrapReply } from '../activation/reply.ts';
import type { Reply } from '../activation/reply.ts';
import type { CallMeta } from '../protocol/envelope.ts';
import { DEFAULT_CALL_TIMEOUT_MS } from '../protocol/limits.ts';
import { activityChain } from './activity-worker.ts';

/** Steps with an effect elsewhere running at once in one run, at most. */
export const DEFAULT_MAX_INFLIGHT_STEPS = 2_000;
/** Steps one run may take: past that, a workflow continues as new. */
export const MAX_STEPS_PER_RUN = 250_000;

/** What the workflow instances of one pod share (one per catalog). */
export interface WorkflowDeps {
  namespace: string;
  /** The workflow's name: its Agent's. */
  workflow: string;
  run: WorkflowFn;
  retry: RetryPolicy | undefined;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** The bucket of workflow records (to read a child's). */
  records: KV;
  caller: Caller;
  client: ColonyClient;
  /** Largest journal message, bytes. */
  journalBytes: number;
  maxInflight: number;
  maxSteps: number;
  retentionMs: number;
  /** This pod's activity worker, when its Agent has activities: an activity of its own may run here, without NATS. */
  localActivities?: { tryLocal(meta: CallMeta, input: Uint8Array): Promise<Reply> | undefined } | undefined;
}

/** Runs one attempt of a step's effect: an activity on the Agent's pods, a call or send to an instance, a child start. */
export async function executeEffect(deps: WorkflowDeps, step: Step, attempt: number, instance: { id: string; address: string }): Promise<unknown> {
  const effect = step.effect;
  if (!effect) return undefined;
  switch (effect.kind) {
    case 'activity': {
      const meta: CallMeta = {
        key: instance.id,
        method: effect.activity,
        deadline: Date.now() + effect.timeoutMs,
        callId: step.callId,
        chain: activityChain(step.callId, attempt),
        depth: 1,
        caller: instance.address,
        op: 'activity',
      };
      // One of this pod's own, with a slot free here: no round trip through NATS (a fan-out fills the slots and spreads).
      const input = encodeJson(effect.input);
      const local = effect.agent === deps.workflow ? deps.localActivities?.tryLocal(meta, input) : undefined;
      if (local) return unwrapReply(await local);
      const result = await deps.client.callActivity({ ...meta, agent: effect.agent, input });
      return decodeJson(result.data, `the result of activity ${effect.agent}.${effect.activity}`);
    }
    case 'call':
    case 'send':
      return deps.caller.call({
        agent: effect.agent,
        key: effect.key,
        method: effect.method,
        input: effect.input,
        deadline: Date.now() + effect.timeoutMs,
        callId: step.callId,
        chain: step.callId,
        depth: 1,
        oneway: effect.kind === 'send',
        caller: instance.address,
      });
    case 'child':
      return deps.caller.call({
        agent: effect.workflow,
        key: effect.id,
        method: 'start',
        op: 'workflow',
        input: { input: effect.input, parent: { namespace: deps.namespace, workflow: deps.workflow, id: instance.id, step: step.k } },
        deadline: Date.now() + DEFAULT_CALL_TIMEOUT_MS,
        callId: step.callId,
        chain: step.callId,
        depth: 1,
        oneway: false,
        caller: instance.address,
      });
  }
}

/** What a pod's workflow instances share: the journal stream (created if missing), the records bucket, the effect clients. */
export async function openWorkflowDeps(
  nc: NatsConnection,
  options: { namespace: string; workflow: string; run: WorkflowFn; retry: RetryPolicy | undefined; records: KV; caller: Caller; client: ColonyClient; journalBytes: number; retentionMs: number; kvReplicas: number },
): Promise<WorkflowDeps> {
  const { kvReplicas, ...rest } = options;
  return {
    ...rest,
    js: jetstream(nc),
    jsm: await openJournal(nc, { replicas: kvReplicas }),
    maxInflight: DEFAULT_MAX_INFLIGHT_STEPS,
    maxSteps: MAX_STEPS_PER_RUN,
  };
}
