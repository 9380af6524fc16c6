import { randomUUID } from 'node:crypto';
import type { StructuredLogger } from '../observability/log.ts';
import type { AgentContext, CallOptions, Reminders, ReplyStream, Tasks, Timers } from '../sdk/context.ts';
import type { AnyAgentDefinition, CallClient, SendClient } from '../sdk/types.ts';
import type { Caller } from './caller.ts';
import { ColonyError } from '../protocol/errors.ts';
import { checkTopic } from '../protocol/topics.ts';
import type { OutboxEvent } from './instance-record.ts';
import { formatBytes, utf8Bytes } from './state-json.ts';
import { CollectingWriter } from '../stream/chunk-writer.ts';

/** Who is running and on whose behalf: what a turn passes on to the calls it makes. */
export interface TurnScope {
  agent: string;
  key: string;
  callId: string;
  chain: string;
  depth: number;
  deadline: number;
  traceparent?: string | undefined;
  /** Set when the turn was started by a reminder. */
  reminder?: { name: string; dueAt: number } | undefined;
}

/** The instance behind a context: its state, and which instances its running turns wait on. */
export interface StateHolder {
  state: unknown;
  readonly podId: string;
  readonly activationId: string;
  readonly reminders: Reminders;
  readonly timers: Timers;
  readonly tasks: Tasks;
  /** A request/reply call to `target` (`agent/key`) starts or ends (for deadlock detection). */
  waitingOn(target: string, delta: 1 | -1): void;
}

/** The AgentContext a method receives. */
export class TurnContext implements AgentContext<unknown> {
  readonly #holder: StateHolder;
  readonly #scope: TurnScope;
  readonly #caller: Caller;
  readonly #now: () => number;
  #calls = 0;
  readonly #eventBytes: number;
  /** Events this turn published, by id: staged with the state when the turn commits (made on first publish: most turns publish none). */
  published: Map<string, OutboxEvent> | undefined;
  readonly signal: AbortSignal;
  readonly log: StructuredLogger;
  readonly #stream: (() => ReplyStream) | undefined;
  #collected: ReplyStream | undefined;

  /** `stream`: the turn's streamed reply, made on first use (absent for tasks and activities: what they write is collected for no one). `eventBytes`: the largest event ctx.publish takes. */
  constructor(holder: StateHolder, scope: TurnScope, signal: AbortSignal, caller: Caller, log: StructuredLogger, now: () => number, stream?: () => ReplyStream, eventBytes = Number.POSITIVE_INFINITY) {
    this.#holder = holder;
    this.#scope = scope;
    this.#caller = caller;
    this.#now = now;
    this.#eventBytes = eventBytes;
    this.signal = signal;
    this.log = log;
    this.#stream = stream;
  }

  get stream(): ReplyStream {
    if (this.#stream) return this.#stream();
    this.#collected ??= new CollectingWriter(this.signal);
    return this.#collected;
  }

  publish(topic: string, event: unknown): string {
    const where = `${this.#scope.agent}/${this.#scope.key} publishing to topic ${JSON.stringify(topic)}`;
    checkTopic(topic, where);
    let data: string | undefined;
    try {
      data = JSON.stringify(event);
    } catch (cause) {
      throw new ColonyError('invalid_argument', `${where}: the event cannot be turned into JSON: ${(cause as Error).message}`, { cause });
    }
    if (data === undefined) throw new ColonyError('invalid_argument', `${where}: the event is not a JSON value (got ${typeof event})`);
    const bytes = utf8Bytes(data);
    if (bytes > this.#eventBytes) {
      throw new ColonyError('payload_too_large', `${where}: the event is ${formatBytes(bytes)} as JSON, over the limit of ${formatBytes(this.#eventBytes)} (the NATS server's max_payload)`);
    }
    // From the call id, so that a turn retried with the same call id publishes the same ids (dropped as repeats).
    this.published ??= new Map();
    const id = `${this.#scope.callId || `${this.#holder.activationId}:${randomUUID()}`}:e${this.published.size + 1}`;
    this.published.set(id, { topic, data, at: this.#now() });
    return id;
  }

  get agent(): string {
    return this.#scope.agent;
  }

  get key(): string {
    return this.#scope.key;
  }

  get deadline(): number {
    return this.#scope.deadline;
  }

  get callId(): string {
    return this.#scope.callId;
  }

  get podId(): string {
    return this.#holder.podId;
  }

  get reminders(): Reminders {
    return this.#holder.reminders;
  }

  get timers(): Timers {
    return this.#holder.timers;
  }

  get tasks(): Tasks {
    return this.#holder.tasks;
  }

  get reminder(): { name: string; dueAt: number } | undefined {
    return this.#scope.reminder;
  }

  get activationId(): string {
    return this.#holder.activationId;
  }

  get state(): unknown {
    return this.#holder.state;
  }

  set state(value: unknown) {
    this.#holder.state = value;
  }

  call<D extends AnyAgentDefinition>(agent: string, key: string, options: CallOptions = {}): CallClient<D> {
    return this.#client(agent, key, options, false) as CallClient<D>;
  }

  send<D extends AnyAgentDefinition>(agent: string, key: string, options: CallOptions = {}): SendClient<D> {
    return this.#client(agent, key, options, true) as SendClient<D>;
  }

  #client(agent: string, key: string, options: CallOptions, oneway: boolean): object {
    return new Proxy(
      {},
      {
        get: (_target, property) => {
          // Not a thenable: `await ctx.call(...)` by mistake must not call a method named "then".
          if (typeof property !== 'string' || property === 'then') return undefined;
          return (input?: unknown) => this.#invoke(agent, key, property, input, options, oneway);
        },
      },
    );
  }

  #invoke(agent: string, key: string, method: string, input: unknown, options: CallOptions, oneway: boolean): Promise<unknown> {
    const scope = this.#scope;
    this.#calls += 1;
    const callId = options.callId ?? (scope.callId ? `${scope.callId}.${this.#calls}` : randomUUID());
    const deadline =
      options.timeoutMs === undefined ? scope.deadline : Math.min(scope.deadline, this.#now() + options.timeoutMs);
    const call = this.#caller.call({
      agent,
      key,
      method,
      input,
      deadline,
      callId,
      chain: scope.chain,
      depth: scope.depth + 1,
      oneway,
      traceparent: scope.traceparent,
      caller: `${scope.agent}/${scope.key}`,
    });
    if (oneway) return call;
    const target = `${agent}/${key}`;
    this.#holder.waitingOn(target, 1);
    return call.finally(() => this.#holder.waitingOn(target, -1));
  }
}
