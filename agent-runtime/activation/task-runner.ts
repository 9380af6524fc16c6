import { DEFAULT_CALL_TIMEOUT_MS } from '../protocol/limits.ts';
import { errorField } from '../observability/log.ts';
import type { StructuredLogger } from '../observability/log.ts';
import { reminderRetryDelayMs } from '../reminders/reminder.ts';
import type { CallOptions, TaskContext } from '../sdk/context.ts';
import type { AnyAgentDefinition, CallClient, SendClient } from '../sdk/types.ts';
import type { Caller } from './caller.ts';
import type { LoadedAgent } from './loaded-agent.ts';
import { TurnContext } from './turn-context.ts';
import type { StateHolder } from './turn-context.ts';

/** What the task runner needs from its activation. */
export interface TaskHost {
  agent: LoadedAgent;
  key: string;
  holder: StateHolder;
  caller: Caller;
  log: StructuredLogger;
  now: () => number;
  /** Runs `fn` as a turn of the instance and persists; rejects with the turn's error. */
  turn<T>(fn: (ctx: TurnContext) => T | Promise<T>): Promise<T>;
  /** Tasks recorded in the instance's state, by name, with their input. */
  recorded(): Map<string, { input?: unknown }>;
}

interface Running {
  abort: AbortController;
  done: Promise<void>;
}

/**
 * Runs the background tasks recorded in an instance's state: starts each once
 * it is recorded (after the turn that started it committed, or on activation
 * for a task that was running elsewhere), removes it from the state when its
 * function returns, restarts it with backoff when it throws, and aborts all
 * on deactivation (they stay recorded, so the next activation resumes them).
 */
export class TaskRunner {
  readonly #host: TaskHost;
  readonly #running = new Map<string, Running>();
  readonly #failures = new Map<string, number>();
  readonly #restartTimers = new Map<string, NodeJS.Timeout>();
  #stopped = false;

  constructor(host: TaskHost) {
    this.#host = host;
  }

  get size(): number {
    return this.#running.size + this.#restartTimers.size;
  }

  running(name: string): boolean {
    return this.#running.has(name);
  }

  /** Starts every recorded task that is not running. */
  sync(): void {
    if (this.#stopped) return;
    for (const [name, task] of this.#host.recorded()) {
      if (!this.#running.has(name) && !this.#restartTimers.has(name)) this.#start(name, task.input);
    }
  }

  /** Aborts every task and waits (at most `timeoutMs`) for them to return. */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#restartTimers.values()) clearTimeout(timer);
    this.#restartTimers.clear();
    const running = [...this.#running.values()];
    for (const task of running) task.abort.abort(new Error('the instance is being deactivated'));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(running.map((task) => task.done)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  #start(name: string, input: unknown): void {
    const fn = this.#host.agent.tasks.get(name);
    const log = this.#host.log.child({ key: this.#host.key, task: name });
    if (!fn) {
      log.error(`task "${name}" is recorded in the state but agent ${this.#host.agent.name} no longer has it; it is dropped`);
      void this.#host.turn(() => void this.#host.recorded().delete(name)).catch(() => undefined);
      return;
    }
    const abort = new AbortController();
    const ctx = this.#context(abort.signal, log);
    const done = (async () => {
      try {
        await fn(ctx, input === undefined ? undefined : JSON.parse(JSON.stringify(input)));
        if (abort.signal.aborted) return;
        this.#failures.delete(name);
        await this.#host.turn(() => void this.#host.recorded().delete(name));
      } catch (error) {
        if (abort.signal.aborted) return;
        const attempt = (this.#failures.get(name) ?? 0) + 1;
        this.#failures.set(name, attempt);
        const delay = reminderRetryDelayMs(attempt);
        log.error(`task "${name}" failed (attempt ${attempt}); restarting it in ${delay} ms`, errorField(error));
        this.#restartTimers.set(
          name,
          setTimeout(() => {
            this.#restartTimers.delete(name);
            this.sync();
          }, delay),
        );
      } finally {
        this.#running.delete(name);
      }
    })();
    this.#running.set(name, { abort, done });
  }

  #context(signal: AbortSignal, log: StructuredLogger): TaskContext<unknown> {
    const host = this.#host;
    const calls = (options: CallOptions = {}): TurnContext => {
      const now = host.now();
      const scope = {
        agent: host.agent.name,
        key: host.key,
        callId: '',
        chain: `task:${crypto.randomUUID()}`,
        depth: 0,
        deadline: now + (options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS),
      };
      return new TurnContext(host.holder, scope, signal, host.caller, log, host.now);
    };
    return {
      agent: host.agent.name,
      key: host.key,
      podId: host.holder.podId,
      log,
      signal,
      update: <T>(fn: (state: unknown) => T | Promise<T>) => host.turn((ctx) => fn(ctx.state)),
      read: () => host.turn((ctx) => JSON.parse(JSON.stringify(ctx.state ?? null)) as unknown),
      call: <D extends AnyAgentDefinition>(agent: string, key: string, options?: CallOptions): CallClient<D> =>
        calls(options).call<D>(agent, key, options),
      send: <D extends AnyAgentDefinition>(agent: string, key: string, options?: CallOptions): SendClient<D> =>
        calls(options).send<D>(agent, key, options),
    };
  }
}
