import { createHash } from 'node:crypto';
import { IDEMPOTENCY_TTL_MS } from './stored-record.ts';
/**
 * Every NATS subject, KV bucket and KV key that Colony uses is built here and
 * nowhere else. Namespace and agent names are DNS-1123 labels, so they are
 * always valid subject tokens.
 */

const SUBJECT_ROOT = 'colony';

/** Any UTF-8 text (an instance key, a workflow id) as one subject or KV key token: base64url; `_` for the empty text. */
function textToken(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url') || '_';
}

/** Calls to the instances of one partition of an Agent. */
export function requestSubject(namespace: string, agent: string, partition: number): string {
  return `${SUBJECT_ROOT}.req.${namespace}.${agent}.${partition}`;
}

/**
 * Where the caller of a streamed call grants credit or cancels (protocol/stream.ts):
 * beside the inbox it reads the stream from, which the caller chose.
 */
export function streamControlSubject(inbox: string): string {
  return `${inbox}.ctl`;
}

/** Pod heartbeats (with their load report) for one Agent. */
export function heartbeatSubject(namespace: string, agent: string): string {
  return `${SUBJECT_ROOT}.ctl.${namespace}.${agent}.heartbeat`;
}

/** Every pod heartbeat of every Agent in a namespace, for the controller. */
export function heartbeatWildcard(namespace: string): string {
  return `${SUBJECT_ROOT}.ctl.${namespace}.*.heartbeat`;
}

/** Demand for an Agent that has no pod to serve a call (scale from zero). */
export function demandSubject(namespace: string, agent: string): string {
  return `${SUBJECT_ROOT}.ctl.${namespace}.${agent}.demand`;
}

/** Demand signals for every Agent in a namespace, for the controller. */
export function demandWildcard(namespace: string): string {
  return `${SUBJECT_ROOT}.ctl.${namespace}.*.demand`;
}

/** Instance state, idempotency results and activation metadata. */
export const STATE_BUCKET = 'colony_state';
/** The placement table of each Agent. */
export const PLACEMENT_BUCKET = 'colony_placement';
/** What the platform knows about each Agent: its spec summary and its API. */
export const REGISTRY_BUCKET = 'colony_agents';
/** Which instances must be woken, and when (due reminders, background tasks to resume). */
export const WAKE_BUCKET = 'colony_wake';
/** Where each subscription's pump keeps how far it handled its topic (agent-runtime/events). */
export const CURSOR_BUCKET = 'colony_cursors';

/**
 * Where the gateway asks every pod of an Agent which of its instances are in
 * memory (protocol/admin.ts): each pod of the Agent answers (no queue group).
 */
export function instanceListSubject(namespace: string, agent: string): string {
  return `${SUBJECT_ROOT}.adm.${namespace}.${agent}.instances`;
}

/** Calls of an Agent's activities: every pod of the Agent takes from one queue group, so a fan-out spreads over all of them. */
export function activitySubject(namespace: string, agent: string): string {
  return `${SUBJECT_ROOT}.act.${namespace}.${agent}`;
}

/** The queue group of an Agent's activity workers. */
export function activityQueue(namespace: string, agent: string): string {
  return `colony-act-${namespace}-${agent}`;
}

/** The records of workflow instances (their summaries), read by the gateway without waking them. */
export const WORKFLOW_BUCKET = 'colony_workflows';

/** The JetStream stream that holds every workflow run's journal. */
export const JOURNAL_STREAM = 'COLONY_JOURNAL';

/** Every journal subject (the stream's subjects). */
export const JOURNAL_SUBJECTS = `${SUBJECT_ROOT}.journal.>`;

/** The journal of one run of one workflow instance. The id is base64url-encoded: any UTF-8 is allowed. */
export function journalSubject(namespace: string, workflow: string, id: string, run: number): string {
  return `${SUBJECT_ROOT}.journal.${namespace}.${workflow}.${textToken(id)}.${run}`;
}

/** Every run's journal of one workflow instance (to purge them). */
export function journalInstanceFilter(namespace: string, workflow: string, id: string): string {
  return `${SUBJECT_ROOT}.journal.${namespace}.${workflow}.${textToken(id)}.*`;
}

/** KV filter matching every workflow record of one workflow in a namespace. */
export function workflowFilter(namespace: string, workflow: string): string {
  return `${namespace}.${workflow}.*`;
}

/** Calls running on a pod after they were sent again because the pod they first reached went away (host/crash-guard.ts). */
export const RUNNING_BUCKET = 'colony_running';
/** How long a running-call marker is kept: the longest a call may be retried (as a remembered reply). */
export const RUNNING_MARKER_TTL_MS = IDEMPOTENCY_TTL_MS;

/** KV key of the running-call marker of call `callId` to `agent/key` (hashed: call ids are any text). */
export function runningKey(namespace: string, agent: string, key: string, callId: string): string {
  return `${namespace}.${agent}.${createHash('sha256').update(key).update('\u0000').update(callId).digest('base64url')}`;
}

/** KV key of an instance's state. The instance key is base64url-encoded: any UTF-8 is allowed. */
export function stateKey(namespace: string, agent: string, key: string): string {
  return `${namespace}.${agent}.${Buffer.from(key, 'utf8').toString('base64url')}`;
}

/** KV filter matching the state key of every instance of one Agent. */
export function stateFilter(namespace: string, agent: string): string {
  return `${namespace}.${agent}.*`;
}

/** The instance key of a state KV key (stateKey), or of a wake-up entry's (wakeKey): its last token, decoded. */
export function keyOfInstanceKvKey(kvKey: string): string {
  return Buffer.from(kvKey.slice(kvKey.lastIndexOf('.') + 1), 'base64url').toString('utf8');
}

/** KV key of an instance's wake-up entry; grouped by partition so its owner can list them. */
export function wakeKey(namespace: string, agent: string, partition: number, key: string): string {
  return `${namespace}.${agent}.${partition}.${Buffer.from(key, 'utf8').toString('base64url')}`;
}

/** KV filter matching every wake-up entry of one partition. */
export function wakeFilter(namespace: string, agent: string, partition: number): string {
  return `${namespace}.${agent}.${partition}.*`;
}

/** KV filter matching every wake-up entry of a namespace (the controller's view of what is due). */
export function namespaceWakeFilter(namespace: string): string {
  return `${namespace}.>`;
}

/** The Agent a wake-up entry's KV key belongs to. */
export function agentOfWakeKey(kvKey: string): string | undefined {
  return kvKey.split('.')[1] || undefined;
}

/** The instance key of a wake-up entry's KV key. */
export function keyOfWakeKey(kvKey: string): string {
  return keyOfInstanceKvKey(kvKey);
}

/** KV key of an Agent's placement table. */
export function placementKey(namespace: string, agent: string): string {
  return `${namespace}.${agent}`;
}

/** KV key of an Agent's spec summary, written by the controller. */
export function registrySpecKey(namespace: string, agent: string): string {
  return `spec.${namespace}.${agent}`;
}

/** KV key of an Agent's API (methods and input schemas), written by its pods. */
export function registryApiKey(namespace: string, agent: string): string {
  return `api.${namespace}.${agent}`;
}

/** KV key of an Agent's status (pods, load, scaling decisions), written by the controller. */
export function registryStatusKey(namespace: string, agent: string): string {
  return `status.${namespace}.${agent}`;
}

/** Parses a registry KV key back into its parts; undefined when it is not one. */
export function parseRegistryKey(
  kvKey: string,
): { kind: 'spec' | 'api' | 'status'; namespace: string; agent: string } | undefined {
  const parts = kvKey.split('.');
  if (parts.length !== 3) return undefined;
  const [kind, namespace, agent] = parts as [string, string, string];
  if (kind !== 'spec' && kind !== 'api' && kind !== 'status') return undefined;
  return { kind, namespace, agent };
}
