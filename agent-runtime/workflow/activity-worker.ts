import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Caller } from '../activation/caller.ts';
import { errorReply, okReply, respondWith, toColonyError } from '../activation/reply.ts';
import type { Reply } from '../activation/reply.ts';
import { TurnContext } from '../activation/turn-context.ts';
import type { StateHolder } from '../activation/turn-context.ts';
import { errorField } from '../observability/log.ts';
import type { StructuredLogger } from '../observability/log.ts';
import { decodeJson } from '../protocol/codec.ts';
import { readCallHeaders } from '../protocol/envelope.ts';
import type { CallMeta } from '../protocol/envelope.ts';
import { ColonyError } from '../protocol/errors.ts';
import { DEFAULT_MAX_PAYLOAD_BYTES, oversizedInput } from '../protocol/limits.ts';
import { activityQueue, activitySubject } from '../protocol/subjects.ts';
import type { CallOptions } from '../sdk/context.ts';
import type { ActivityContext, ActivityFn } from '../sdk/workflow.ts';
import type { AnyAgentDefinition, CallClient, SendClient } from '../sdk/types.ts';

/** Activities a pod runs for its own workflows without NATS at once, at most (see tryLocal). */
const LOCAL_SLOTS = 2;

/** The call chain of an activity's attempt: the attempt rides in it (the activity's ctx.attempt). */
export function activityChain(callId: string, attempt: number): string {
  return `${callId}#${attempt}`;
}

/** The attempt an activity call's chain carries (activityChain); 1 when it carries none. */
export function attemptOfChain(chain: string): number {
  return Number(/#(\d+)$/.exec(chain)?.[1] ?? '1');
}

export interface ActivityWorkerDeps {
  nc: NatsConnection;
  namespace: string;
  agent: string;
  podId: string;
  activities: ReadonlyMap<string, ActivityFn>;
  caller: Caller;
  log: StructuredLogger;
  /** Largest result one reply may carry, bytes. */
  replyBytes: number;
  /** Activities running at once on this pod, at most; the rest wait here. */
  maxConcurrent: number;
  /** Shared with the pod's load report: running activities count as turns in flight, so the autoscaler sees them. */
  counters: { inflight: number; queued: number };
}

/**
 * Runs an Agent's activities on this pod: every pod of the Agent takes
 * activity calls from one queue group, so a workflow's fan-out spreads over
 * all of them. An activity is a stateless function run at least once per
 * step; it gets the step's call id, and calls it makes get ids derived from it.
 */
export class ActivityWorker {
  readonly #deps: ActivityWorkerDeps;
  #subscription: Subscription | undefined;
  #running = 0;
  readonly #waiting: Msg[] = [];
  readonly #aborts = new Set<AbortController>();
  #idle: (() => void)[] = [];

  constructor(deps: ActivityWorkerDeps) {
    this.#deps = deps;
  }

  get running(): number {
    return this.#running;
  }

  /**
   * Runs an activity of this pod's Agent here, without NATS, when the pod has
   * a free local slot (a sequential chain then costs no round trip through
   * NATS); undefined when it has none (the caller sends it to the queue group,
   * so a fan-out spreads over every pod). `input` is encoded as for NATS, and
   * held to the same size limit, so a step does not depend on where it runs.
   */
  tryLocal(meta: CallMeta, input: Uint8Array): Promise<Reply> | undefined {
    if (this.#running >= LOCAL_SLOTS || !this.#subscription) return undefined;
    const { agent, nc } = this.#deps;
    const oversized = oversizedInput(agent, meta.method, input.byteLength, nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD_BYTES);
    if (oversized) return Promise.resolve(errorReply(new ColonyError('payload_too_large', oversized)));
    return this.#counted(() => this.#execute(meta, decodeJson(input, `the input of activity ${agent}.${meta.method}`)));
  }

  start(): void {
    const { nc, namespace, agent } = this.#deps;
    this.#subscription = nc.subscribe(activitySubject(namespace, agent), {
      queue: activityQueue(namespace, agent),
      callback: (error, msg) => {
        if (error) {
          this.#deps.log.error('the activity subscription failed', errorField(error));
          return;
        }
        this.#accept(msg);
      },
    });
  }

  /** Takes no more activities and waits (at most `timeoutMs`) for those running; the rest are aborted. */
  async stop(timeoutMs: number): Promise<void> {
    this.#subscription?.unsubscribe();
    for (const msg of this.#waiting.splice(0)) {
      this.#deps.counters.queued -= 1;
      respondWith(msg, errorReply(new ColonyError('unavailable', `pod ${this.#deps.podId} is stopping; the activity is run elsewhere`, { retryAfterSeconds: 1 })));
    }
    if (this.#running === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#idle.push(resolve)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    for (const abort of this.#aborts) abort.abort(new ColonyError('unavailable', 'the pod is stopping'));
  }

  #accept(msg: Msg): void {
    if (this.#running >= this.#deps.maxConcurrent) {
      this.#waiting.push(msg);
      this.#deps.counters.queued += 1;
      return;
    }
    void this.#run(msg);
  }

  async #run(msg: Msg): Promise<void> {
    let meta: CallMeta;
    let input: unknown;
    try {
      meta = readCallHeaders(msg);
      input = decodeJson(msg.data, `the input of activity ${this.#deps.agent}.${meta.method}`);
    } catch (error) {
      respondWith(msg, errorReply(toColonyError(error, 'reading the activity call')));
      this.#next();
      return;
    }
    respondWith(msg, await this.#counted(() => this.#execute(meta, input)));
  }

  /** A slot freed: the next waiting activity runs, or those waiting for the worker to be idle are told. */
  #next(): void {
    const next = this.#waiting.shift();
    if (next) {
      this.#deps.counters.queued -= 1;
      void this.#run(next);
    } else if (this.#running === 0) {
      for (const idle of this.#idle.splice(0)) idle();
    }
  }

  async #counted(run: () => Promise<Reply>): Promise<Reply> {
    this.#running += 1;
    this.#deps.counters.inflight += 1;
    try {
      return await run();
    } finally {
      this.#running -= 1;
      this.#deps.counters.inflight -= 1;
      this.#next();
    }
  }

  async #execute(meta: CallMeta, input: unknown): Promise<Reply> {
    const { agent } = this.#deps;
    const fn = this.#deps.activities.get(meta.method);
    if (!fn) {
      const known = [...this.#deps.activities.keys()].join(', ');
      return errorReply(new ColonyError('not_found', `agent ${agent} has no activity "${meta.method}"${known ? `; its activities are: ${known}` : ''}`));
    }
    const abort = new AbortController();
    this.#aborts.add(abort);
    const timer = setTimeout(() => abort.abort(new ColonyError('deadline_exceeded', 'the activity passed its deadline')), Math.max(0, meta.deadline - Date.now()));
    const where = `activity ${agent}.${meta.method} (${meta.callId})`;
    try {
      const result = await Promise.race([
        Promise.resolve(fn(this.#context(meta, abort.signal), input)),
        new Promise<never>((_resolve, reject) => abort.signal.addEventListener('abort', () => reject(abort.signal.reason as Error), { once: true })),
      ]);
      const reply = okReply(result);
      if (reply.body !== undefined && Buffer.byteLength(reply.body) > this.#deps.replyBytes) {
        return errorReply(
          new ColonyError('result_too_large', `the result of ${where} is ${Buffer.byteLength(reply.body).toLocaleString('en-US')} bytes, over the ${this.#deps.replyBytes.toLocaleString('en-US')} bytes one reply can carry`),
        );
      }
      return reply;
    } catch (error) {
      const failure = toColonyError(error, where);
      if (failure.code === 'method_failed') this.#deps.log.warn(failure.message, { activity: meta.method, callId: meta.callId, ...errorField(error) });
      return errorReply(failure);
    } finally {
      clearTimeout(timer);
      this.#aborts.delete(abort);
    }
  }

  #context(meta: CallMeta, signal: AbortSignal): ActivityContext {
    const { agent, caller, log, podId } = this.#deps;
    const holder: StateHolder = {
      state: undefined,
      podId,
      activationId: `${podId}/activity`,
      reminders: unsupported('reminders'),
      timers: unsupported('timers'),
      tasks: unsupported('tasks'),
      waitingOn: () => undefined,
    };
    const scope = { agent, key: meta.key, callId: meta.callId, chain: meta.chain || meta.callId, depth: meta.depth, deadline: meta.deadline, traceparent: meta.traceparent };
    const turn = new TurnContext(holder, scope, signal, caller, log.child({ activity: meta.method, callId: meta.callId }), Date.now);
    return {
      agent,
      name: meta.method,
      callId: meta.callId,
      attempt: attemptOfChain(meta.chain),
      workflow: meta.caller ?? meta.key,
      deadline: meta.deadline,
      signal,
      log: turn.log,
      call: <D extends AnyAgentDefinition>(target: string, key: string, options?: CallOptions): CallClient<D> => turn.call<D>(target, key, options),
      send: <D extends AnyAgentDefinition>(target: string, key: string, options?: CallOptions): SendClient<D> => turn.send<D>(target, key, options),
    };
  }
}

/** What an activity cannot use: it has no instance. */
function unsupported<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: () => () => {
      throw new ColonyError('failed_precondition', `an activity has no ${what}: it runs outside any instance; use an agent's ${what} through a call`);
    },
  });
}
