import { ColonyError } from '../protocol/errors.ts';
import { DEFAULT_CALL_TIMEOUT_MS } from '../protocol/limits.ts';
import type { Logger } from '../sdk/context.ts';
import type { EventOptions, StepOptions, WorkflowContext } from '../sdk/workflow.ts';
import type { RunDeps } from './run-deps.ts';
import type { WorkflowRun } from './run.ts';

/** Thrown by `ctx.continueAsNew(input)`: the run ends, and the next starts with `input`. */
export class ContinueAsNew extends Error {
  readonly input: unknown;

  constructor(input: unknown) {
    super('continued as new');
    this.name = 'ContinueAsNew';
    this.input = input;
  }
}

/** How long one attempt of an activity may take unless the step says (a call's default is any call's). */
const DEFAULT_ACTIVITY_TIMEOUT_MS = 60_000;

/** A JSON copy of what the body passes to a step: what it does with its objects afterwards changes nothing. */
function frozen(value: unknown, what: string): unknown {
  if (value === undefined) return undefined;
  try {
    const json = JSON.stringify(value);
    return json === undefined ? undefined : JSON.parse(json);
  } catch (cause) {
    throw new ColonyError('invalid_argument', `the input of ${what} is not JSON: ${(cause as Error).message}`, { cause });
  }
}

/** The context a workflow body gets: every step goes through the run. */
export function workflowContext(run: WorkflowRun, deps: RunDeps): WorkflowContext {
  const log = replayAwareLog(run, deps);
  const client = (make: (method: string, input: unknown) => Promise<unknown>): object =>
    new Proxy(
      {},
      {
        get: (_target, property) => (typeof property !== 'string' || property === 'then' ? undefined : (input?: unknown) => make(property, input)),
      },
    );
  const activities = (agent: string, options: StepOptions = {}): object =>
    client((name, input) =>
      run.schedule('activity', name, { kind: 'activity', agent, activity: name, input: frozen(input, `activity ${name}`), timeoutMs: options.timeoutMs ?? DEFAULT_ACTIVITY_TIMEOUT_MS }, options.retry),
    );
  const calls = (kind: 'call' | 'send', agent: string, key: string, options: StepOptions = {}): object =>
    client((method, input) =>
      run.schedule(
        kind,
        `${agent}.${method}`,
        { kind, agent, key, method, input: frozen(input, `${agent}.${method}`), timeoutMs: options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS },
        options.retry,
      ),
    );
  return {
    id: deps.id,
    workflow: deps.workflow,
    run: deps.run,
    get replaying() {
      return run.replaying;
    },
    log,
    activities: (options?: StepOptions) => activities(deps.agent, options) as never,
    activitiesOf: (agent: string, options?: StepOptions) => activities(agent, options) as never,
    call: (agent: string, key: string, options?: StepOptions) => calls('call', agent, key, options) as never,
    send: (agent: string, key: string, options?: StepOptions) => calls('send', agent, key, options) as never,
    sleep: async (ms: number) => {
      if (!Number.isFinite(ms) || ms < 0) throw new ColonyError('invalid_argument', `ctx.sleep needs a duration in ms ≥ 0, got ${ms}`);
      await run.schedule('sleep', 'sleep', undefined, undefined, { ms });
    },
    waitForEvent: <T>(name: string, options: EventOptions = {}) => {
      if (options.timeoutMs !== undefined && (!Number.isFinite(options.timeoutMs) || options.timeoutMs < 0)) {
        return Promise.reject(new ColonyError('invalid_argument', `waitForEvent("${name}"): timeoutMs must be a duration in ms ≥ 0`));
      }
      return run.schedule('event', name, undefined, undefined, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) as Promise<T>;
    },
    child: <T>(workflow: string, id: string, input?: unknown) =>
      run.schedule('child', `${workflow}/${id}`, { kind: 'child', workflow, id, input: frozen(input, `child ${workflow}/${id}`) }, { attempts: 1 }) as Promise<T>,
    continueAsNew: (input?: unknown): never => {
      throw new ContinueAsNew(frozen(input, 'continueAsNew'));
    },
    now: () => run.schedule('now', 'now') as Promise<number>,
    random: () => run.schedule('random', 'random') as Promise<number>,
    uuid: () => run.schedule('uuid', 'uuid') as Promise<string>,
    setStatus: (value: unknown) => {
      if (!run.replaying) deps.onStatus(frozen(value, 'setStatus'));
    },
    patched: (id: string) => run.patched(id),
  };
}

/** Logs of a body being replayed are debug only: they were written when it ran live. */
function replayAwareLog(run: WorkflowRun, deps: RunDeps): Logger {
  const log = deps.log.child({ workflow: deps.workflow, id: deps.id, run: deps.run });
  const at =
    (level: 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void =>
      run.replaying ? log.debug(message, { ...fields, replaying: true }) : log[level](message, fields);
  return { debug: (message, fields) => log.debug(message, fields), info: at('info'), warn: at('warn'), error: at('error') };
}
