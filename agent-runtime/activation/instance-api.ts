import { ColonyError } from '../protocol/errors.ts';
import type { Durability } from '../protocol/pod-env.ts';
import { MIN_REMINDER_PERIOD_MS } from '../reminders/reminder.ts';
import type { TimerSource } from '../reminders/timer-source.ts';
import type { ReminderInfo, ReminderOptions, Reminders, Tasks, TimerOptions, Timers } from '../sdk/context.ts';
import type { InstanceRecord } from './instance-record.ts';
import type { LoadedAgent } from './loaded-agent.ts';

const MAX_NAME_LENGTH = 128;
/** Timers and reminders further out than this are refused (a likely unit mistake). */
const MAX_DELAY_MS = 10 * 365 * 24 * 3_600_000;

function checkName(kind: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new ColonyError('invalid_argument', `a ${kind} name must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`);
  }
}

function checkMethod(agent: LoadedAgent, kind: string, name: string, method: string): void {
  if (!agent.methods.has(method)) {
    throw new ColonyError('invalid_argument', `${kind} "${name}" names method "${method}", which agent ${agent.name} does not have`);
  }
}

function checkPeriod(kind: string, name: string, everyMs: number | undefined): void {
  if (everyMs !== undefined && (!Number.isFinite(everyMs) || everyMs < MIN_REMINDER_PERIOD_MS || everyMs > MAX_DELAY_MS)) {
    throw new ColonyError('invalid_argument', `${kind} "${name}": everyMs must be between ${MIN_REMINDER_PERIOD_MS} ms and ten years`);
  }
}

function copyInput(input: unknown): unknown {
  return input === undefined ? undefined : JSON.parse(JSON.stringify(input));
}

/** `ctx.reminders`: edits the record's reminders; they are written when the turn commits. */
export class RemindersApi implements Reminders {
  readonly #record: () => InstanceRecord;
  readonly #agent: LoadedAgent;
  readonly #durability: Durability;
  readonly #now: () => number;

  constructor(record: () => InstanceRecord, agent: LoadedAgent, durability: Durability, now: () => number) {
    this.#record = record;
    this.#agent = agent;
    this.#durability = durability;
    this.#now = now;
  }

  set(name: string, options: ReminderOptions): void {
    checkName('reminder', name);
    if (this.#durability === 'none') {
      throw new ColonyError('failed_precondition', `agent ${this.#agent.name} keeps no durable state (durability: none), so it cannot have reminders; use ctx.timers`);
    }
    checkMethod(this.#agent, 'reminder', name, options.method);
    checkPeriod('reminder', name, options.everyMs);
    const now = this.#now();
    const at = options.at instanceof Date ? options.at.getTime() : options.at;
    if ((at === undefined) === (options.afterMs === undefined)) {
      throw new ColonyError('invalid_argument', `reminder "${name}": give exactly one of "at" and "afterMs"`);
    }
    const dueAt = at ?? now + (options.afterMs as number);
    if (!Number.isFinite(dueAt) || dueAt - now > MAX_DELAY_MS) {
      throw new ColonyError('invalid_argument', `reminder "${name}": the due time must be a time within ten years`);
    }
    const entry = { method: options.method, dueAt, ...(options.input === undefined ? {} : { input: copyInput(options.input) }) };
    this.#record().reminders.set(name, options.everyMs === undefined ? entry : { ...entry, everyMs: options.everyMs });
  }

  cancel(name: string): boolean {
    return this.#record().reminders.delete(name);
  }

  get(name: string): ReminderInfo | undefined {
    const entry = this.#record().reminders.get(name);
    return entry ? { name, ...(copyInput(entry) as Omit<ReminderInfo, 'name'>) } : undefined;
  }

  list(): ReminderInfo[] {
    return [...this.#record().reminders.keys()].sort().map((name) => this.get(name) as ReminderInfo);
  }
}

/** `ctx.timers`: in-memory timers of one activation, set on the catalog's timer source. */
export class ActivationTimers implements Timers {
  readonly #agent: LoadedAgent;
  readonly #source: TimerSource;
  readonly #fire: (name: string, method: string, input: unknown) => void;
  /** What cancels each pending timer. */
  readonly #timers = new Map<string, () => void>();

  constructor(agent: LoadedAgent, source: TimerSource, fire: (name: string, method: string, input: unknown) => void) {
    this.#agent = agent;
    this.#source = source;
    this.#fire = fire;
  }

  get size(): number {
    return this.#timers.size;
  }

  set(name: string, options: TimerOptions): void {
    checkName('timer', name);
    checkMethod(this.#agent, 'timer', name, options.method);
    checkPeriod('timer', name, options.everyMs);
    if (!Number.isFinite(options.afterMs) || options.afterMs < 0 || options.afterMs > MAX_DELAY_MS) {
      throw new ColonyError('invalid_argument', `timer "${name}": afterMs must be a delay in ms`);
    }
    this.cancel(name);
    const input = copyInput(options.input);
    const { everyMs } = options;
    const schedule = (ms: number): void => {
      this.#timers.set(
        name,
        this.#source.set(() => {
          // A periodic timer is set again before its turn runs, so that turn can cancel it.
          if (everyMs === undefined) this.#timers.delete(name);
          else schedule(everyMs);
          this.#fire(name, options.method, copyInput(input));
        }, ms),
      );
    };
    schedule(options.afterMs);
  }

  cancel(name: string): boolean {
    const cancel = this.#timers.get(name);
    if (!cancel) return false;
    cancel();
    this.#timers.delete(name);
    return true;
  }

  has(name: string): boolean {
    return this.#timers.has(name);
  }

  clear(): void {
    for (const name of [...this.#timers.keys()]) this.cancel(name);
  }
}

/** `ctx.tasks`: records a task as started; the activation runs it once the turn commits. */
export class TasksApi implements Tasks {
  readonly #record: () => InstanceRecord;
  readonly #agent: LoadedAgent;
  readonly #running: (name: string) => boolean;
  readonly #now: () => number;

  constructor(record: () => InstanceRecord, agent: LoadedAgent, running: (name: string) => boolean, now: () => number) {
    this.#record = record;
    this.#agent = agent;
    this.#running = running;
    this.#now = now;
  }

  start(name: string, input?: unknown): void {
    if (!this.#agent.tasks.has(name)) {
      const known = [...this.#agent.tasks.keys()];
      throw new ColonyError(
        'invalid_argument',
        `agent ${this.#agent.name} has no task "${name}"${known.length > 0 ? `; its tasks are: ${known.join(', ')}` : ''}`,
      );
    }
    const record = this.#record();
    if (record.tasks.has(name)) return;
    record.tasks.set(name, { startedAt: this.#now(), ...(input === undefined ? {} : { input: copyInput(input) }) });
  }

  running(name: string): boolean {
    return this.#record().tasks.has(name) || this.#running(name);
  }
}
