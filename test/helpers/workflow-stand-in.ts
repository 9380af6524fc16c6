import { jetstream } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { purgeJournal } from '../../agent-runtime/client/journal.ts';
import { readSummary } from '../../agent-runtime/client/workflow-records.ts';
import { decodeJson, encodeJson } from '../../agent-runtime/protocol/codec.ts';
import { errorReplyHeaders, OK_REPLY_HEADERS, readCallHeaders } from '../../agent-runtime/protocol/envelope.ts';
import type { CallMeta } from '../../agent-runtime/protocol/envelope.ts';
import { ColonyError } from '../../agent-runtime/protocol/errors.ts';
import { encodeRecord } from '../../agent-runtime/protocol/stored-record.ts';
import type { AgentApiRecord } from '../../agent-runtime/protocol/registry.ts';
import { journalInstanceFilter, journalSubject, registryApiKey, registrySpecKey, requestSubject, stateKey } from '../../agent-runtime/protocol/subjects.ts';
import { isFinished } from '../../agent-runtime/protocol/workflow.ts';
import type { EventInput, JournalEntry, StartInput, TerminateInput, WorkflowStatus, WorkflowSummary } from '../../agent-runtime/protocol/workflow.ts';
import { agentSpec, NS } from './gateway-over-nats.ts';
import type { GatewayOverNats, RigSeed } from './gateway-over-nats.ts';

/** An instance id the stand-in never answers (to see a verb's deadline). */
export const HANGING_ID = 'hang';

/**
 * A stand-in pod of a workflow Agent: a real NATS peer that serves every
 * partition and answers `Colony-Op: workflow` calls as the runtime's verbs
 * do (agent-runtime/workflow/verbs.ts), keeping each instance's record in the
 * workflows bucket and its journal in the journal stream. Tests also write
 * records and journals through it directly, as a run would.
 */
export class WorkflowStandIn {
  readonly workflow: string;
  readonly #records: KV;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #replies = new Map<string, Uint8Array | ColonyError>();
  readonly #subscriptions: Subscription[] = [];
  /** Every call it received, in order. */
  readonly seen: (CallMeta & { input: unknown })[] = [];

  constructor(nc: NatsConnection, records: KV, jsm: JetStreamManager, workflow: string, partitions: number) {
    this.workflow = workflow;
    this.#records = records;
    this.#js = jetstream(nc);
    this.#jsm = jsm;
    for (let partition = 0; partition < partitions; partition += 1) {
      this.#subscriptions.push(nc.subscribe(requestSubject(NS, workflow, partition), { callback: (error, msg) => void (error ? undefined : this.#onCall(msg)) }));
    }
  }

  stop(): void {
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
  }

  /** The summary in the instance's record, undefined when there is none or it was purged. */
  summary(id: string): Promise<WorkflowSummary | undefined> {
    return readSummary(this.#records, NS, this.workflow, id);
  }

  /** Writes the instance's record with `state` as its summary (null: purged). */
  async put(id: string, state: WorkflowSummary | null): Promise<void> {
    await this.#records.put(stateKey(NS, this.workflow, id), encodeRecord(JSON.stringify(state), new Map()));
  }

  /** Writes an instance as it would be after it ran: `status`, created at `createdAt`. */
  async seed(id: string, status: WorkflowStatus, createdAt: number, extra: Partial<WorkflowSummary> = {}): Promise<WorkflowSummary> {
    const summary: WorkflowSummary = { id, workflow: this.workflow, status, input: null, createdAt, updatedAt: createdAt, run: 1, ...extra };
    await this.put(id, summary);
    return summary;
  }

  /** Changes the instance's record as a run would (its status, output, …). */
  async update(id: string, change: Partial<WorkflowSummary>): Promise<void> {
    const current = await this.summary(id);
    if (!current) throw new Error(`no workflow ${this.workflow}/${id} to update`);
    await this.put(id, { ...current, ...change, updatedAt: Date.now() });
  }

  /** Appends one message of entries to the journal of run `run`. */
  async append(id: string, run: number, entries: JournalEntry[]): Promise<void> {
    await this.#js.publish(journalSubject(NS, this.workflow, id, run), JSON.stringify(entries));
  }

  async #onCall(msg: Msg): Promise<void> {
    let meta: CallMeta;
    try {
      meta = readCallHeaders(msg);
    } catch (error) {
      msg.respond(encodeJson((error as ColonyError).toBody()), { headers: errorReplyHeaders((error as ColonyError).code) });
      return;
    }
    const input = decodeJson(msg.data, 'the input');
    this.seen.push({ ...meta, input });
    if (meta.key === HANGING_ID) return;
    // A call id seen before gets the first reply again, as an instance's record remembers it.
    let outcome = this.#replies.get(meta.callId);
    if (outcome === undefined) {
      try {
        outcome = encodeJson(await this.#apply(meta, input));
      } catch (error) {
        outcome = error instanceof ColonyError ? error : new ColonyError('internal', String(error));
      }
      this.#replies.set(meta.callId, outcome);
    }
    if (outcome instanceof ColonyError) msg.respond(encodeJson(outcome.toBody()), { headers: errorReplyHeaders(outcome.code) });
    else msg.respond(outcome, { headers: OK_REPLY_HEADERS });
  }

  async #apply(meta: CallMeta, input: unknown): Promise<unknown> {
    const { workflow } = this;
    const id = meta.key;
    if (meta.op !== 'workflow') throw new ColonyError('not_found', `agent ${workflow} is a workflow; it has no method "${meta.method}"`);
    const current = await this.summary(id);
    const now = Date.now();
    if (meta.method === 'start') {
      if (current) throw new ColonyError('already_exists', `workflow ${workflow}/${id} exists already (${current.status}); use another id, or purge it first`);
      const summary = await this.seed(id, 'running', now, { input: (input as StartInput).input ?? null });
      return { id, workflow, status: summary.status };
    }
    if (!current) throw new ColonyError('not_found', `there is no workflow ${workflow}/${id} (never started, or purged)`);
    const reply = (status: WorkflowStatus) => ({ id, workflow, status });
    switch (meta.method) {
      case 'event': {
        const event = input as EventInput;
        if (isFinished(current.status)) throw new ColonyError('failed_precondition', `workflow ${workflow}/${id} is ${current.status}; the event "${event.name}" was not delivered`);
        await this.append(id, current.run, [{ t: 'event', name: event.name, payload: event.payload, at: now, id: meta.callId }]);
        return reply(current.status);
      }
      case 'terminate': {
        if (isFinished(current.status)) throw new ColonyError('failed_precondition', `workflow ${workflow}/${id} is ${current.status} already`);
        const reason = (input as TerminateInput | undefined)?.reason ?? 'terminated by request';
        await this.put(id, { ...current, status: 'terminated', reason, updatedAt: now });
        await this.append(id, current.run, [{ t: 'end', status: 'terminated', reason, at: now }]);
        return reply('terminated');
      }
      case 'suspend':
      case 'resume': {
        if (isFinished(current.status)) throw new ColonyError('failed_precondition', `workflow ${workflow}/${id} is ${current.status}`);
        const status = meta.method === 'suspend' ? 'suspended' : 'running';
        if (current.status !== status) await this.put(id, { ...current, status, updatedAt: now });
        return reply(status);
      }
      case 'purge':
        if (!isFinished(current.status)) throw new ColonyError('failed_precondition', `workflow ${workflow}/${id} is ${current.status}; terminate it before purging it`);
        await purgeJournal(this.#jsm, journalInstanceFilter(NS, workflow, id));
        await this.put(id, null);
        return { id, workflow, purged: true };
      default:
        throw new ColonyError('not_found', `"${meta.method}" is not a workflow verb`);
    }
  }
}

/** A workflow in the rig's registry: its spec, and its API record unless `published` is false (pods not up yet). */
export async function registerWorkflow(rig: GatewayOverNats, name: string, partitions: number, published = true): Promise<void> {
  await rig.buckets.registry.put(registrySpecKey(NS, name), JSON.stringify(agentSpec(name, partitions)));
  if (!published) return;
  const api: AgentApiRecord = { namespace: NS, name, kind: 'workflow', methods: {}, updatedAt: Date.now() };
  await rig.buckets.registry.put(registryApiKey(NS, name), JSON.stringify(api));
}

/** A RigSeed that registers each workflow of `names` and serves it with a stand-in; the stand-ins are in the map once the rig has started. */
export function seedWorkflows(standIns: Map<string, WorkflowStandIn>, names: { name: string; partitions: number; published?: boolean }[]): RigSeed {
  return async (rig) => {
    for (const { name, partitions, published } of names) {
      await registerWorkflow(rig, name, partitions, published ?? true);
      standIns.set(name, new WorkflowStandIn(rig.pod, rig.buckets.workflows, rig.journal, name, partitions));
    }
  };
}
