import type { AgentApiRecord, MethodDescriptor } from '../protocol/registry.ts';
import { checkOutputSchema, compileInputSchema, type InputValidator } from '../protocol/schema.ts';
import { isMethodName } from '../protocol/limits.ts';
import type { AgentContext, TaskContext } from '../sdk/context.ts';
import type { AnyAgentOptions, MethodFn } from '../sdk/types.ts';
import { isWorkflowDefinition } from '../sdk/workflow.ts';
import type { ActivityFn, AnyWorkflowDefinition, RetryPolicy, WorkflowFn } from '../sdk/workflow.ts';
import { loadSubscriptions } from '../events/subscriptions.ts';
import type { LoadedSubscription } from '../events/subscriptions.ts';

export interface LoadedMethod {
  name: string;
  fn: MethodFn<unknown>;
  validate?: InputValidator | undefined;
  descriptor: MethodDescriptor;
}

/** An agent definition checked and prepared for the runtime: methods by name, compiled schemas. */
export interface LoadedAgent {
  name: string;
  initialState: () => unknown;
  methods: Map<string, LoadedMethod>;
  onActivate?: ((ctx: AgentContext<unknown>) => void | Promise<void>) | undefined;
  onDeactivate?: ((ctx: AgentContext<unknown>) => void | Promise<void>) | undefined;
  tasks: Map<string, (ctx: TaskContext<unknown>, input: unknown) => Promise<void>>;
  /** The activities its pods run for workflows. */
  activities: Map<string, ActivityFn>;
  /** Topics whose events its methods handle. */
  subscriptions: LoadedSubscription[];
  /** Set for a workflow (defineWorkflow): its body and retry policy. A workflow has no methods, only management verbs. */
  workflow?: { run: WorkflowFn; retry: RetryPolicy | undefined } | undefined;
}

/** Checks a definition and compiles its schemas; throws with a message naming the problem. */
export function loadAgent(name: string, definition: AnyAgentOptions | AnyWorkflowDefinition, manifest: { subscriptions?: unknown[] } = {}): LoadedAgent {
  const extra = manifest.subscriptions ?? [];
  if (isWorkflowDefinition(definition)) {
    if (extra.length > 0) throw new Error(`workflow ${name}: spec.subscriptions is for agents; a workflow takes events with POST /v1/workflows/${name}/{id}/events/{name}`);
    return loadWorkflow(name, definition);
  }
  return loadPlainAgent(name, definition as AnyAgentOptions, extra);
}

function loadActivities(name: string, activities: unknown): Map<string, ActivityFn> {
  const loaded = new Map<string, ActivityFn>();
  if (activities === undefined) return loaded;
  if (typeof activities !== 'object' || activities === null) throw new Error(`agent ${name}: "activities" must be an object of functions`);
  for (const [activity, fn] of Object.entries(activities)) {
    if (typeof fn !== 'function') throw new Error(`agent ${name}: activity "${activity}" is not a function`);
    if (!isMethodName(activity)) throw new Error(`agent ${name}: activity name "${activity}" must match [A-Za-z_][A-Za-z0-9_]* (at most 128 characters)`);
    loaded.set(activity, fn as ActivityFn);
  }
  return loaded;
}

function loadWorkflow(name: string, definition: AnyWorkflowDefinition): LoadedAgent {
  if (typeof definition.run !== 'function') throw new Error(`workflow ${name}: "run" must be an async function, the workflow's body`);
  return {
    name,
    // A workflow instance's record exists once it is started: until then there is nothing.
    initialState: () => null,
    methods: new Map(),
    tasks: new Map(),
    activities: loadActivities(name, definition.activities),
    subscriptions: [],
    workflow: { run: definition.run, retry: definition.retry },
  };
}

function loadPlainAgent(name: string, definition: AnyAgentOptions, extraSubscriptions: unknown[]): LoadedAgent {
  if (typeof definition.state !== 'function') {
    throw new Error(`agent ${name}: "state" must be a function that returns the initial state`);
  }
  if (typeof definition.methods !== 'object' || definition.methods === null) {
    throw new Error(`agent ${name}: "methods" must be an object of functions`);
  }
  const methods = new Map<string, LoadedMethod>();
  for (const [methodName, fn] of Object.entries(definition.methods)) {
    if (typeof fn !== 'function') throw new Error(`agent ${name}: method "${methodName}" is not a function`);
    if (!isMethodName(methodName)) {
      throw new Error(`agent ${name}: method name "${methodName}" must match [A-Za-z_][A-Za-z0-9_]* (at most 128 characters)`);
    }
    const schema = definition.schemas?.[methodName];
    const output = definition.outputs?.[methodName];
    const descriptor: MethodDescriptor = { ...(schema === undefined ? {} : { input: schema }), ...(output === undefined ? {} : { output }) };
    const validate = schema === undefined ? undefined : compileInputSchema(schema, `${name}.${methodName}`);
    if (output !== undefined) checkOutputSchema(output, `${name}.${methodName}`);
    methods.set(methodName, { name: methodName, fn, validate, descriptor });
  }
  for (const field of ['schemas', 'outputs'] as const) {
    for (const schemaName of Object.keys(definition[field] ?? {})) {
      if (!methods.has(schemaName)) throw new Error(`agent ${name}: "${field}" names "${schemaName}", which is not a method`);
    }
  }
  if (methods.size === 0 && definition.activities === undefined) throw new Error(`agent ${name}: it has no methods`);
  const tasks = new Map<string, (ctx: TaskContext<unknown>, input: unknown) => Promise<void>>();
  for (const [taskName, fn] of Object.entries(definition.tasks ?? {})) {
    if (typeof fn !== 'function') throw new Error(`agent ${name}: task "${taskName}" is not a function`);
    tasks.set(taskName, fn as (ctx: TaskContext<unknown>, input: unknown) => Promise<void>);
  }
  return {
    name,
    initialState: definition.state,
    methods,
    onActivate: definition.onActivate,
    onDeactivate: definition.onDeactivate,
    tasks,
    activities: loadActivities(name, definition.activities),
    subscriptions: loadSubscriptions(name, [...(definition.subscriptions ?? []), ...extraSubscriptions], new Set(methods.keys())),
  };
}

export function apiRecordOf(agent: LoadedAgent, namespace: string, now: number): AgentApiRecord {
  const methods: AgentApiRecord['methods'] = {};
  for (const [name, method] of agent.methods) methods[name] = method.descriptor;
  return {
    namespace,
    name: agent.name,
    kind: agent.workflow ? 'workflow' : 'agent',
    methods,
    ...(agent.activities.size > 0 ? { activities: [...agent.activities.keys()] } : {}),
    ...(agent.subscriptions.length > 0 ? { subscriptions: agent.subscriptions.map(({ topic, method }) => ({ topic, method })) } : {}),
    updatedAt: now,
  };
}
