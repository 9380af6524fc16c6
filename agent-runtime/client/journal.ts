import { jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DEFAULT_KV_REPLICAS } from '../protocol/shared-env.ts';
import { JOURNAL_STREAM, JOURNAL_SUBJECTS } from '../protocol/subjects.ts';
import type { JournalEntry } from '../protocol/workflow.ts';

/** Messages read per direct-get batch when a journal is read back. */
const READ_BATCH = 256;

/**
 * A run's journal as read back: its messages in order (each a group of
 * entries written together, whose steps a body saw resolved together), and
 * the stream sequence of the last (0: none).
 */
export interface JournalRead {
  messages: JournalEntry[][];
  lastSeq: number;
}

/**
 * Creates (or finds) the stream that holds every workflow journal: file
 * storage, `replicas` copies, direct get on (journals are read back in
 * batches without a consumer).
 */
export async function openJournal(nc: NatsConnection, options: { replicas?: number } = {}): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  const config: Partial<StreamConfig> & { name: string } = {
    name: JOURNAL_STREAM,
    subjects: [JOURNAL_SUBJECTS],
    description: 'Colony workflow journals: one subject per run of a workflow instance',
    num_replicas: options.replicas ?? DEFAULT_KV_REPLICAS,
    allow_direct: true,
  };
  try {
    await jsm.streams.info(JOURNAL_STREAM);
  } catch {
    try {
      await jsm.streams.add(config);
    } catch (error) {
      // Another process created it meanwhile.
      await jsm.streams.info(JOURNAL_STREAM).catch(() => {
        throw new Error(`could not create or open the JetStream stream ${JOURNAL_STREAM}: ${(error as Error).message}`, { cause: error });
      });
    }
  }
  return jsm;
}

/**
 * Reads a run's journal, in order. Its last message is looked up first, and
 * batches never ask past it: a direct batch get that finds nothing fails
 * inside nats.js's subscription callback, where it cannot be caught.
 */
export async function readJournal(jsm: JetStreamManager, subject: string): Promise<JournalRead> {
  const last = await jsm.direct.getMessage(JOURNAL_STREAM, { last_by_subj: subject }).catch((error: unknown) => {
    if (isNoMessage(error)) return null;
    throw error;
  });
  const messages: JournalEntry[][] = [];
  if (!last) return { messages, lastSeq: 0 };
  for (let from = 1; from <= last.seq; ) {
    const batch = await jsm.direct.getBatch(JOURNAL_STREAM, { seq: from, next_by_subj: subject, batch: READ_BATCH });
    let seen = 0;
    for await (const message of batch) {
      seen += 1;
      from = message.seq + 1;
      messages.push(message.json<JournalEntry[]>());
      if (message.seq >= last.seq) break;
    }
    if (seen === 0) break;
  }
  return { messages, lastSeq: last.seq };
}

/** Removes every message of the subjects `filter` matches (a purged workflow's runs). */
export async function purgeJournal(jsm: JetStreamManager, filter: string): Promise<void> {
  await jsm.streams.purge(JOURNAL_STREAM, { filter });
}

function isNoMessage(error: unknown): boolean {
  const text = String((error as Error)?.message ?? error);
  return /404|no message found/i.test(text);
}
