import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Reply } from '../activation/reply.ts';
import { errorReply } from '../activation/reply.ts';
import { streamMessageHeaders } from '../protocol/envelope.ts';
import { ColonyError } from '../protocol/errors.ts';
import { chunkJson, decodeControl, oversizedChunk, ProducerCredit } from '../protocol/stream.ts';
import { streamControlSubject } from '../protocol/subjects.ts';
import type { ChunkWriter } from './chunk-writer.ts';

export interface StreamSinkDeps {
  nc: NatsConnection;
  /** The caller's inbox (`Colony-Stream`) and the credit it gave (`Colony-Credit`). */
  inbox: string;
  credit: number;
  maxPayloadBytes: number;
  /** What runs, for errors: `progress.run on job-1`. */
  where: string;
  /** Answers the call's request with "the method streams" (once). */
  open(): void;
}

const EMPTY = new Uint8Array(0);

/**
 * The pod's end of one streamed reply (protocol/stream.ts): sends chunks to
 * the caller's inbox within the credit it granted, listens on the control
 * subject for grants and a cancel, and sends the end. `signal` is aborted when
 * the caller cancels or the pod drains (cancel()); the turn aborts the
 * method's `ctx.signal` with it.
 */
export class StreamSink implements ChunkWriter {
  readonly #deps: StreamSinkDeps;
  readonly #credit: ProducerCredit;
  readonly #cancel = new AbortController();
  #seq = 0;
  #opened = false;
  #ended = false;
  #control: Subscription | undefined;
  #granted: (() => void) | undefined;

  constructor(deps: StreamSinkDeps) {
    this.#deps = deps;
    this.#credit = new ProducerCredit(deps.credit);
  }

  /** Aborted when the caller went away or the pod drains; its reason is the ColonyError the stream ends with. */
  get signal(): AbortSignal {
    return this.#cancel.signal;
  }

  get streaming(): boolean {
    return this.#opened;
  }

  /** Chunks sent so far. */
  get sent(): number {
    return this.#seq;
  }

  begin(): void {
    if (this.#opened) return;
    this.#opened = true;
    const { nc, inbox } = this.#deps;
    // Subscribed before the request is answered: a grant sent right after "open" finds the subscription.
    this.#control = nc.subscribe(streamControlSubject(inbox), {
      callback: (error, msg) => {
        if (error) return;
        const control = decodeControl(msg.string());
        if (!control) return;
        if ('cancel' in control) this.cancel(new ColonyError('cancelled', `the caller of ${this.#deps.where} went away (${control.cancel}) after ${this.#seq} chunks`));
        else this.#grant(control.credit);
      },
    });
    this.#deps.open();
  }

  async write(chunk: unknown): Promise<void> {
    this.#checkWritable();
    this.begin();
    const seq = this.#seq + 1;
    const json = chunkJson(this.#deps.where, seq, chunk);
    const data = Buffer.from(json, 'utf8');
    const tooLarge = oversizedChunk(this.#deps.where, seq, data.byteLength, this.#deps.maxPayloadBytes);
    if (tooLarge) throw new ColonyError('result_too_large', tooLarge);
    while (!this.#credit.take()) await this.#nextGrant();
    this.#checkWritable();
    this.#seq = seq;
    this.#publish(data, streamMessageHeaders(seq));
  }

  result(): undefined {
    return undefined;
  }

  /** Ends the stream early: the method's signal is aborted, and the stream ends with `error` unless it ended already. */
  cancel(error: ColonyError): void {
    if (this.#cancel.signal.aborted || this.#ended) return;
    this.#cancel.abort(error);
    this.#granted?.();
  }

  /**
   * Sends the end with the turn's reply. A stream that was cancelled ends with
   * the cancel's error, whatever the turn did then: its caller must not take a
   * stream cut short for a whole one.
   */
  end(reply: Reply): void {
    if (this.#ended) return;
    this.#ended = true;
    const reason: unknown = this.#cancel.signal.reason;
    const final = reason instanceof ColonyError ? errorReply(reason) : reply;
    this.#publish(final.body === undefined ? EMPTY : Buffer.from(final.body, 'utf8'), streamMessageHeaders(this.#seq + 1, final.status));
    this.#control?.unsubscribe();
    this.#granted?.();
  }

  #grant(credit: number): void {
    this.#credit.grant(credit);
    const granted = this.#granted;
    this.#granted = undefined;
    granted?.();
  }

  /** Resolves at the next grant, or when the stream is cancelled or ended (the caller checks which). */
  async #nextGrant(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#granted = resolve;
    });
  }

  /** Throws once the stream was cancelled (the reason) or ended (its turn passed its deadline and was answered). */
  #checkWritable(): void {
    this.#cancel.signal.throwIfAborted();
    if (this.#ended) throw new ColonyError('deadline_exceeded', `${this.#deps.where} wrote a chunk after its stream ended (at its deadline)`);
  }

  #publish(data: Uint8Array, headers: ReturnType<typeof streamMessageHeaders>): void {
    try {
      this.#deps.nc.publish(this.#deps.inbox, data, { headers });
    } catch (cause) {
      this.cancel(new ColonyError('unavailable', `the stream of ${this.#deps.where} could not be sent: the NATS connection is closing`, { cause, retryAfterSeconds: 1 }));
    }
  }
}
