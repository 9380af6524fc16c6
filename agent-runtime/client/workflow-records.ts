import type { KvEntry, RoKV } from '@nats-io/kv';
import { decodeRecord } from '../protocol/stored-record.ts';
import { stateKey, workflowFilter } from '../protocol/subjects.ts';
import type { WorkflowSummary } from '../protocol/workflow.ts';

/** Records read at once while a workflow's instances are listed. */
const LIST_CONCURRENCY = 32;

/**
 * The summary in a record entry: undefined for a deleted key, or a record
 * whose state is null (purged), as if the instance had never been.
 */
function summaryOf(entry: KvEntry | null, where: string): WorkflowSummary | undefined {
  if (!entry || entry.operation !== 'PUT') return undefined;
  const state = decodeRecord(entry.string(), where).state as WorkflowSummary | null;
  return state ?? undefined;
}

/** The summary in a workflow instance's record (WORKFLOW_BUCKET), read without waking it. */
export async function readSummary(records: RoKV, namespace: string, workflow: string, id: string): Promise<WorkflowSummary | undefined> {
  return summaryOf(await records.get(stateKey(namespace, workflow, id)), `workflow ${workflow}/${id}`);
}

/** The summaries of every instance of `workflow` there is a record of, in no particular order. */
export async function listSummaries(records: RoKV, namespace: string, workflow: string): Promise<WorkflowSummary[]> {
  const keys: string[] = [];
  for await (const key of await records.keys(workflowFilter(namespace, workflow))) keys.push(key);
  const summaries: WorkflowSummary[] = [];
  for (let from = 0; from < keys.length; from += LIST_CONCURRENCY) {
    const entries = await Promise.all(keys.slice(from, from + LIST_CONCURRENCY).map((key) => records.get(key)));
    for (const [i, entry] of entries.entries()) {
      const summary = summaryOf(entry, `workflow ${workflow} (key ${keys[from + i]})`);
      if (summary) summaries.push(summary);
    }
  }
  return summaries;
}

/**
 * The summary of a workflow instance once it is no longer `running`
 * (suspended or finished), or as it is when `timeoutMs` have passed or
 * `signal` aborts (the caller went away, the gateway is closing).
 * Undefined when there is no such instance, or it is purged meanwhile.
 * Watches the record's key rather than polling it: a change is seen at once.
 */
export async function waitWhileRunning(
  records: RoKV,
  namespace: string,
  workflow: string,
  id: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<WorkflowSummary | undefined> {
  const key = stateKey(namespace, workflow, id);
  const where = `workflow ${workflow}/${id}`;
  let latest = summaryOf(await records.get(key), where);
  if (latest?.status !== 'running' || signal?.aborted) return latest;
  // The watch first delivers the key's current value, so a change between the get and the watch is not missed.
  const watch = await records.watch({ key });
  const stop = (): void => watch.stop();
  const timer = setTimeout(stop, timeoutMs);
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const entry of watch) {
      latest = summaryOf(entry, where);
      if (latest?.status !== 'running') break;
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
    watch.stop();
  }
  return latest;
}
