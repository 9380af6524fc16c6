import type { NatsConnection } from '@nats-io/nats-core';
import { createInbox } from '@nats-io/nats-core';
import { isStreamOpen, readReply, writeCallHeaders } from '../protocol/envelope.ts';
import { DEFAULT_STREAM_WINDOW } from '../protocol/stream.ts';
import { ChunkReader } from './stream-call.ts';
import type { CallMeta } from '../protocol/envelope.ts';
import { ColonyError } from '../protocol/errors.ts';
import { DEFAULT_MAX_PAYLOAD_BYTES, oversizedInput } from '../protocol/limits.ts';
import { partitionOf, placementKeyOf } from '../protocol/partition.ts';
import { activitySubject, requestSubject } from '../protocol/subjects.ts';
import { CLOSED, NO_RESPONDERS, RequestMux, TIMED_OUT } from './request-mux.ts';
import type { CallAttempt } from './request-mux.ts';
import { WriteCoalescer } from './write-coalescer.ts';
import type { PlacementView } from './placement-view.ts';

export interface CallRequest extends CallMeta {
  agent: string;
  /** The input as JSON bytes (empty for none). */
  input: Uint8Array;
}

export interface CallResult {
  /** The result as JSON bytes (empty for a void result). */
  data: Uint8Array;
  attempts: number;
  /** Time spent waiting for a pod to own the partition (no responders, retryable replies), ms. */
  waitedMs: number;
  /** The answer to a streamed call whose method streams: the chunks follow (callStream). */
  streamed?: boolean;
}

/** A streamed call once its pod answered: a stream of chunks, or, for a method that does not stream, its result. */
export type StreamedCall = { kind: 'result'; result: CallResult } | { kind: 'stream'; result: CallResult; chunks: ChunkReader };

/** Tells the client how many partitions an Agent has (undefined for an unknown Agent), and how its placement key is derived. */
export interface PartitionSource {
  partitionsOf(agent: string): number | undefined;
  /** The Agent's spec.placement.keyDelimiter; absent or undefined: the placement key is the whole instance key. */
  keyDelimiterOf?(agent: string): string | undefined;
}

export interface ClientOptions {
  namespace: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called each time a call finds nobody serving its partition (throttle on the receiving side). */
  onNoResponders?: (agent: string, partition: number) => void;
  /**
   * The placement tables: when the owner of a partition changes, calls waiting
   * on the old owner are sent again (same call id), so a call on a pod that
   * died is retried at once instead of waiting for its deadline.
   */
  placement?: PlacementView;
  /**
   * Most calls that may wait for placement at once (each holds a request
   * while an Agent scales from zero); further ones fail at once with 503.
   */
  maxWaiting?: number;
}

export const DEFAULT_MAX_WAITING = 10_000;

export const INITIAL_RETRY_DELAY_MS = 5;
export const MAX_RETRY_DELAY_MS = 250;
/**
 * The least time a retry must have left to be worth sending (after a
 * refusal, twice the last round trip if more, up to MAX_RETRY_DELAY_MS): a
 * last attempt that times out would turn the refusal or "no pod" already
 * received into "no answer", a 504 (outcome unknown).
 */
export const MIN_RETRY_WINDOW_MS = 50;

function lostStreamError(agent: string, partition: number, received: number): ColonyError {
  return new ColonyError(
    'unavailable',
    `the pod streaming this reply lost partition ${partition} of agent ${agent} (it stopped, or was declared dead) after ${received} chunks, without ending the stream; call again`,
    { retryAfterSeconds: 1 },
  );
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls instances over NATS. While no pod owns the target partition (handoff,
 * scale from zero, crash) NATS answers "no responders" at once; the client
 * retries with backoff until the call's deadline, with the same call id.
 */
export class ColonyClient {
  readonly #partitions: PartitionSource;
  readonly #namespace: string;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #onNoResponders: ((agent: string, partition: number) => void) | undefined;
  readonly #writes: WriteCoalescer;
  readonly #mux: RequestMux;
  readonly #maxWaiting: number;
  readonly #nc: NatsConnection;
  #waiting = 0;
  /** Streams being read, by `agent/partition`: told when the pod sending them lost the partition. */
  readonly #streams = new Map<string, Set<ChunkReader>>();
  /** Calls sleeping between retries, by `agent/partition`: woken early when the partition's owner changes. */
  readonly #sleepers = new Map<string, Set<() => void>>();

  constructor(nc: NatsConnection, partitions: PartitionSource, options: ClientOptions) {
    this.#nc = nc;
    this.#partitions = partitions;
    this.#namespace = options.namespace;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#onNoResponders = options.onNoResponders;
    this.#writes = new WriteCoalescer(nc);
    this.#maxWaiting = options.maxWaiting ?? DEFAULT_MAX_WAITING;
    this.#mux = new RequestMux(nc);
    options.placement?.onOwnerChange((agent, partitions, vacated) => {
      for (const partition of partitions) {
        const tag = `${agent}/${partition}`;
        this.#mux.resend(tag, vacated.has(partition));
        // Calls backing off because nobody served the partition try again now that it has an owner.
        for (const wake of this.#sleepers.get(tag) ?? []) wake();
        if (vacated.has(partition)) for (const reader of this.#streams.get(tag) ?? []) reader.lost(lostStreamError(agent, partition, reader.received));
      }
    });
  }

  /** The partition `key` of `agent` lives in, or a not_found error for an unknown Agent. */
  partitionFor(agent: string, key: string): number {
    const partitions = this.#partitions.partitionsOf(agent);
    if (partitions === undefined) {
      throw new ColonyError('not_found', `there is no agent named "${agent}" in namespace "${this.#namespace}"`);
    }
    return partitionOf(placementKeyOf(key, this.#partitions.keyDelimiterOf?.(agent)), partitions);
  }

  call(request: CallRequest): Promise<CallResult> {
    return this.#send(request, undefined);
  }

  /**
   * A call whose reply may stream (decision 21): resolves once the pod answers —
   * with a ChunkReader when the method streams (the pod sends at most `window`
   * chunks ahead of what was read), or the result as call() gives it. Errors
   * before the stream opens are thrown, as call() throws them.
   */
  async callStream(request: CallRequest, window = DEFAULT_STREAM_WINDOW): Promise<StreamedCall> {
    const inbox = createInbox();
    const tag = `${request.agent}/${this.partitionFor(request.agent, request.key)}`;
    const readers = this.#streams.get(tag) ?? new Set<ChunkReader>();
    this.#streams.set(tag, readers);
    const chunks: ChunkReader = new ChunkReader(this.#nc, inbox, window, request.deadline, this.#now, () => {
      readers.delete(chunks);
      if (readers.size === 0 && this.#streams.get(tag) === readers) this.#streams.delete(tag);
    });
    readers.add(chunks);
    try {
      const result = await this.#send({ ...request, stream: { inbox, credit: window } }, undefined);
      if (result.streamed) return { kind: 'stream', result, chunks };
      chunks.close();
      return { kind: 'result', result };
    } catch (error) {
      chunks.close();
      throw error;
    }
  }

  /**
   * Runs an activity of `request.agent` on whichever of its pods takes it
   * (their queue group), with the same retries as a call while none is there.
   */
  callActivity(request: CallRequest): Promise<CallResult> {
    return this.#send(request, activitySubject(this.#namespace, request.agent));
  }

  async #send(request: CallRequest, activity: string | undefined): Promise<CallResult> {
    const hold = { held: false };
    try {
      return await this.#attempts(request, hold, activity);
    } finally {
      if (hold.held) this.#waiting -= 1;
    }
  }

  /** Sends the call until it is answered, retrying "no responders" and retryable replies until the deadline. */
  async #attempts(request: CallRequest, hold: { held: boolean }, activity: string | undefined): Promise<CallResult> {
    const partition = this.partitionFor(request.agent, request.key);
    const subject = activity ?? requestSubject(this.#namespace, request.agent, partition);
    // Activities run on any pod: a pod that goes away is not a partition that changes hands.
    const tag = activity ? undefined : `${request.agent}/${partition}`;
    const attempt: CallAttempt = { headers: writeCallHeaders(request), resent: request.resent ?? 0 };
    this.#checkSize(request);
    const started = this.#now();
    let delay = INITIAL_RETRY_DELAY_MS;
    let attempts = 0;
    let lastRetryable: ColonyError | undefined;
    let sawNoResponders = false;
    let window = 0;
    for (;;) {
      const remaining = request.deadline - this.#now();
      // A retry with too little time left would likely end in a timeout — 504, outcome unknown —
      // where the caller can be given the refusal or "no pod" it already has.
      if (remaining <= 0 || remaining < window) {
        // A call waiting for a pod is held to its deadline, as its caller asked.
        if (remaining > 0 && !lastRetryable) await this.#sleep(remaining);
        throw this.#gaveUp(request, partition, sawNoResponders, lastRetryable, this.#now() - started);
      }
      attempts += 1;
      this.#writes.hold();
      const sentAt = this.#now();
      const outcome = await this.#mux.request(subject, request.input, attempt, remaining, tag);
      if (outcome === NO_RESPONDERS) {
        // Every time, not just the first: the receiver throttles, and a signal it dropped must not leave the call waiting.
        this.#onNoResponders?.(request.agent, partition);
        sawNoResponders = true;
        lastRetryable = undefined;
        this.#hold(hold);
      } else if (outcome === TIMED_OUT) {
        throw new ColonyError('deadline_exceeded', `${request.agent}.${request.method} on ${request.key} did not answer before its deadline`);
      } else if (outcome === CLOSED) {
        throw new ColonyError('unavailable', `calling ${request.agent}.${request.method} failed: the NATS connection is closed`, {
          retryAfterSeconds: 1,
        });
      } else {
        try {
          const data = readReply(outcome);
          const waitedMs = attempts > 1 ? this.#now() - started : 0;
          return request.stream && isStreamOpen(outcome) ? { data, attempts, waitedMs, streamed: true } : { data, attempts, waitedMs };
        } catch (error) {
          if (!(error instanceof ColonyError) || !error.retryable) throw error;
          lastRetryable = error;
        }
      }
      // Capped: a round trip can include a reconnect (a request published while disconnected is answered after it).
      window = lastRetryable ? Math.min(MAX_RETRY_DELAY_MS, Math.max(MIN_RETRY_WINDOW_MS, 2 * (this.#now() - sentAt))) : MIN_RETRY_WINDOW_MS;
      const left = request.deadline - this.#now();
      let pause = Math.min(delay * (0.5 + Math.random() / 2), left);
      if (left - pause < window) {
        // No room for another attempt: a refusal is answered now; a call waiting for a pod waits out its deadline.
        if (lastRetryable) throw lastRetryable;
        pause = left;
      }
      const woken = pause > 0 ? await this.#backoff(tag ?? `${request.agent}/activities`, pause) : false;
      delay = woken ? INITIAL_RETRY_DELAY_MS : Math.min(delay * 2, MAX_RETRY_DELAY_MS);
    }
  }

  /** An input too large for one NATS message cannot be sent: say so, rather than what the publish would throw. */
  #checkSize(request: CallRequest): void {
    const problem = oversizedInput(request.agent, request.method, request.input.byteLength, this.#nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD_BYTES);
    if (problem) throw new ColonyError('payload_too_large', problem);
  }

  /** Sleeps `ms`, or less when the partition's owner changes; resolves true when woken early. */
  async #backoff(tag: string, ms: number): Promise<boolean> {
    let wake: () => void = () => undefined;
    const woken = new Promise<boolean>((resolve) => {
      wake = () => resolve(true);
    });
    let sleepers = this.#sleepers.get(tag);
    if (!sleepers) {
      sleepers = new Set();
      this.#sleepers.set(tag, sleepers);
    }
    sleepers.add(wake);
    try {
      return await Promise.race([woken, this.#sleep(ms).then(() => false)]);
    } finally {
      sleepers.delete(wake);
      if (sleepers.size === 0) this.#sleepers.delete(tag);
    }
  }

  /** A call starts waiting for placement: counted, and refused when too many already wait. */
  #hold(hold: { held: boolean }): void {
    if (hold.held) return;
    if (this.#waiting >= this.#maxWaiting) {
      throw new ColonyError('unavailable', `${this.#waiting} calls are already waiting for pods to start or take over; this one was not held, retry it`, {
        retryAfterSeconds: 1,
      });
    }
    hold.held = true;
    this.#waiting += 1;
  }

  /** Calls now waiting for their partition to be served. */
  get waiting(): number {
    return this.#waiting;
  }

  #gaveUp(
    request: CallRequest,
    partition: number,
    sawNoResponders: boolean,
    lastRetryable: ColonyError | undefined,
    waitedMs: number,
  ): ColonyError {
    if (lastRetryable) return lastRetryable;
    if (sawNoResponders) {
      return new ColonyError(
        'unavailable',
        `no pod of agent "${request.agent}" served partition ${partition} within ${waitedMs} ms; the agent may be scaling from zero, restarting or crash-looping (see \`colony get pods\`)`,
        { retryAfterSeconds: 1 },
      );
    }
    return new ColonyError('deadline_exceeded', `the deadline of ${request.agent}.${request.method} on ${request.key} had passed before it was sent`);
  }
}
