import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Catalog } from '../activation/catalog.ts';
import { errorReply, respondWith, toColonyError } from '../activation/reply.ts';
import type { WriteCoalescer } from '../client/write-coalescer.ts';
import { errorField } from '../observability/log.ts';
import type { StructuredLogger } from '../observability/log.ts';
import { decodeJson } from '../protocol/codec.ts';
import { readCallHeaders, streamOpenHeaders } from '../protocol/envelope.ts';
import type { CallMeta } from '../protocol/envelope.ts';
import { StreamSink } from '../stream/stream-sink.ts';
import { ColonyError } from '../protocol/errors.ts';
import { STATUS_OK } from '../protocol/headers.ts';
import { partitionOf, placementKeyOf } from '../protocol/partition.ts';
import { requestSubject } from '../protocol/subjects.ts';
import type { CrashGuard } from './crash-guard.ts';

const EMPTY = new Uint8Array(0);

export interface CallInboxDeps {
  nc: NatsConnection;
  namespace: string;
  agent: string;
  podId: string;
  partitions: number;
  /** The Agent's spec.placement.keyDelimiter: the partition is that of the key up to it. */
  keyDelimiter: string | undefined;
  catalog: Catalog;
  crashGuard: CrashGuard;
  writes: WriteCoalescer;
  log: StructuredLogger;
  /** Runs first for every call: may find that the pod was paused (see pause-guard.ts). */
  checkPaused(): void;
  /** True when the pod takes calls for `partition` now. */
  serves(partition: number): boolean;
  /** The NATS server's max_payload: each chunk of a streamed reply must fit in one message. */
  maxPayloadBytes: number;
}

/**
 * Where calls reach the pod: one NATS subscription per partition it serves.
 * Reads and checks a call, hands it to the catalog and answers — a success
 * with no headers, an error with its code in `Colony-Status`.
 */
export class CallInbox {
  readonly #deps: CallInboxDeps;
  /** Streamed replies being sent (stream/stream-sink.ts), with their partitions: a pod that drains or hands a partition over ends them. */
  readonly #streams = new Map<StreamSink, number>();

  constructor(deps: CallInboxDeps) {
    this.#deps = deps;
  }

  subscribe(partition: number): Subscription {
    const { nc, namespace, agent } = this.#deps;
    return nc.subscribe(requestSubject(namespace, agent, partition), {
      callback: (error, msg) => (error ? this.#deps.log.error('a partition subscription failed', errorField(error)) : this.#onCall(partition, msg)),
    });
  }

  #onCall(partition: number, msg: Msg): void {
    const deps = this.#deps;
    let call;
    try {
      const meta = readCallHeaders(msg);
      // Checked before anything runs: calls queued in the socket while the pod was paused must not run here
      // when the pod may have been declared dead meanwhile.
      deps.checkPaused();
      if (!deps.serves(partition)) {
        throw new ColonyError('unavailable', `pod ${deps.podId} is handing partition ${partition} over; retry`, { retryAfterSeconds: 1 });
      }
      const expected = partitionOf(placementKeyOf(meta.key, deps.keyDelimiter), deps.partitions);
      if (expected !== partition) {
        throw new ColonyError(
          'failed_precondition',
          `key ${JSON.stringify(meta.key)} belongs to partition ${expected} of ${deps.partitions}, but was sent to partition ${partition}; the caller and the pod disagree on the partition count or the placement key of agent ${deps.agent}`,
        );
      }
      call = { meta, input: decodeJson(msg.data, `the input of ${deps.agent}.${meta.method}`) };
    } catch (error) {
      respondWith(msg, errorReply(toColonyError(error, 'reading the call')));
      return;
    }
    const sink = call.meta.stream && !call.meta.oneway ? this.#sink(msg, call.meta, partition) : undefined;
    const guarded = deps.crashGuard.guard(sink ? { ...call, stream: sink } : call);
    const reply = deps.catalog.dispatch(guarded.call, partition);
    if (call.meta.oneway) {
      respondWith(msg, { status: STATUS_OK });
      void reply.then((r) => {
        guarded.done();
        if (r.status !== STATUS_OK) deps.log.warn('a one-way call failed', { key: call.meta.key, method: call.meta.method, status: r.status, body: r.body });
      });
      return;
    }
    void reply.then((r) => {
      guarded.done();
      deps.writes.hold();
      if (sink?.streaming) {
        this.#streams.delete(sink);
        sink.end(r);
      } else respondWith(msg, r);
    });
  }

  /**
   * Ends the streamed replies in flight — all of them (the pod drains), or those
   * of `partition` (it moves to another pod): each method's signal is aborted,
   * its turn ends as the method decides (what it changed is committed if it
   * returns), and its caller gets `error` as the stream's end. Without this a
   * stream would hold its partition's release for as long as it runs.
   */
  cancelStreams(error: ColonyError, partition?: number): number {
    let count = 0;
    for (const [sink, of] of this.#streams) {
      if (partition !== undefined && of !== partition) continue;
      sink.cancel(error);
      count += 1;
    }
    return count;
  }

  #sink(msg: Msg, meta: CallMeta, partition: number): StreamSink {
    const stream = meta.stream as NonNullable<CallMeta['stream']>;
    const sink: StreamSink = new StreamSink({
      nc: this.#deps.nc,
      inbox: stream.inbox,
      credit: stream.credit,
      maxPayloadBytes: this.#deps.maxPayloadBytes,
      where: `${this.#deps.agent}.${meta.method} on ${meta.key}`,
      open: () => {
        this.#streams.set(sink, partition);
        try {
          msg.respond(EMPTY, { headers: streamOpenHeaders() });
        } catch {
          // The connection is closing; the caller times out.
        }
      },
    });
    return sink;
  }
}
