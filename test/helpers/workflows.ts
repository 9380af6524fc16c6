import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { openBuckets } from '../../agent-runtime/client/buckets.ts';
import { ColonyClient } from '../../agent-runtime/client/client.ts';
import { ownerOfKey, PlacementView } from '../../agent-runtime/client/placement-view.ts';
import { RegistryView } from '../../agent-runtime/client/registry-view.ts';
import { decodeJson, encodeJson } from '../../agent-runtime/protocol/codec.ts';
import { DEFAULT_NAMESPACE } from '../../agent-runtime/protocol/limits.ts';
import type { WorkflowSummary, WorkflowVerb } from '../../agent-runtime/protocol/workflow.ts';
import { readSummary, waitWhileRunning } from '../../agent-runtime/client/workflow-records.ts';

export interface WorkflowDriver {
  /** Sends a management verb to a workflow instance, as the gateway does; resolves with its reply. */
  verb(workflow: string, id: string, verb: WorkflowVerb, input?: unknown): Promise<unknown>;
  /** The instance's record summary (undefined: none). */
  get(workflow: string, id: string): Promise<WorkflowSummary | undefined>;
  /** Waits until the instance is no longer running (suspended or finished); throws when it has no record, or still runs after `timeoutMs`. */
  finished(workflow: string, id: string, timeoutMs?: number): Promise<WorkflowSummary>;
  /** The pod the placement table gives the instance to now; throws when none serves it. */
  ownerOf(workflow: string, id: string): Promise<string>;
  close(): Promise<void>;
}

/** Drives workflows over NATS the way the gateway does (for runtime tests that need no HTTP). */
export async function workflowDriver(natsUrl: string, namespace = DEFAULT_NAMESPACE): Promise<WorkflowDriver> {
  const nc = await connect({ servers: natsUrl, name: 'colony-test-workflows' });
  const buckets = await openBuckets(nc);
  const registry = new RegistryView(buckets.registry, namespace);
  await registry.start();
  // As the gateway does: a call waiting on a pod that goes away is sent again to the partition's next owner.
  const placement = new PlacementView(buckets.placement, namespace);
  await placement.start();
  const client = new ColonyClient(nc, registry, { namespace, placement });
  const get = (workflow: string, id: string): Promise<WorkflowSummary | undefined> => readSummary(buckets.workflows, namespace, workflow, id);
  return {
    verb: async (workflow, id, verb, input) => {
      const callId = randomUUID();
      const result = await client.call({ agent: workflow, key: id, method: verb, op: 'workflow', input: encodeJson(input), deadline: Date.now() + 30_000, callId, chain: callId, depth: 0 });
      return decodeJson(result.data, `the reply of ${verb}`);
    },
    get,
    finished: async (workflow, id, timeoutMs = 60_000) => {
      // As GET …?wait= does: the record's key is watched, a change is seen at once.
      const summary = await waitWhileRunning(buckets.workflows, namespace, workflow, id, timeoutMs);
      if (summary === undefined || summary.status === 'running') {
        throw new Error(`workflow ${workflow}/${id} is ${summary ? `still ${summary.status} after ${timeoutMs} ms` : 'missing: never started, or purged'}`);
      }
      return summary;
    },
    ownerOf: async (workflow, id) => {
      const owner = await ownerOfKey(buckets.placement, namespace, workflow, id);
      if (!owner) throw new Error(`no pod serves ${workflow}/${id}`);
      return owner;
    },
    close: async () => {
      registry.stop();
      placement.stop();
      await nc.drain();
    },
  };
}
