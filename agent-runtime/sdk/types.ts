import type { JsonSchema } from '../protocol/schema.ts';
import type { AgentContext, TaskContext } from './context.ts';
import type { ActivityFn } from './workflow.ts';

/** JSON values: what crosses the wire as a method's input and output. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a method's input type is the author's choice.
export type MethodFn<S> = (ctx: AgentContext<S>, input: any) => unknown;

/** A subscription to a topic (defineAgent's `subscriptions`, or the manifest's `spec.subscriptions`). */
export interface SubscriptionOptions {
  /** The topic whose events to handle. */
  topic: string;
  /** The method each event is passed to, as its input. */
  method: string;
  /**
   * The instance an event goes to: a function of the event, or the path of a
   * string (or number) field in it, e.g. `customerId` or `order.customer`.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event's type is the author's choice.
  key: ((event: any) => string) | string;
  /** Attempts before the event goes to `<topic>-dead-letter` (default 5). */
  maxAttempts?: number;
}

export interface AgentOptions<S, M extends Record<string, MethodFn<S>>> {
  /** Creates the state of an instance that has none stored yet. */
  state: () => S;
  /** The methods callers can invoke; each takes the context and one JSON input. */
  methods: M;
  /** JSON schemas for the inputs of methods; a call whose input fails its schema is refused with 400. */
  schemas?: { [K in keyof M]?: JsonSchema };
  /**
   * JSON schemas of what methods answer (for a method that streams, the array of its chunks),
   * published with the Agent's API for its documentation (the gateway's /openapi.json); results
   * are not checked against them.
   */
  outputs?: { [K in keyof M]?: JsonSchema };
  /** Runs when the instance is activated, after its state is loaded. */
  onActivate?: (ctx: AgentContext<S>) => void | Promise<void>;
  /** Runs before the instance is deactivated (idle, drain); its state change is persisted. */
  onDeactivate?: (ctx: AgentContext<S>) => void | Promise<void>;
  /** Background tasks, started by name with `ctx.tasks.start(name, input)`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a task's input type is the author's choice.
  tasks?: Record<string, (ctx: TaskContext<S>, input: any) => Promise<void>>;
  /** Activities: stateless functions workflows run on this Agent's pods (`ctx.activitiesOf<typeof def>(agent)`). */
  activities?: Record<string, ActivityFn>;
  /**
   * Topics whose events this agent handles: each event goes to `method` of
   * the instance `key` names, at least once, with the event's id as the call
   * id (so it takes effect once), in order per key; one that keeps failing
   * goes to `<topic>-dead-letter` after `maxAttempts`.
   */
  subscriptions?: SubscriptionOptions[];
}

declare const definitionBrand: unique symbol;

/** An agent definition: a value, with no name — the name comes from the Agent manifest. */
export interface AgentDefinition<S, M extends Record<string, MethodFn<S>>> extends AgentOptions<S, M> {
  readonly [definitionBrand]: true;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any definition, for constraints.
export type AnyAgentDefinition = AgentDefinition<any, any>;

/** Any agent's options, as the runtime handles them (state and inputs are opaque JSON there). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the runtime treats state as opaque.
export type AnyAgentOptions = AgentOptions<any, Record<string, MethodFn<any>>>;

/** The methods of an agent definition `D` (`typeof counter`), by name. */
export type MethodsOf<D> = D extends AgentDefinition<infer _S, infer M> ? M : never;

/** The parameters of a method after its context: `[input]`, `[input?]` or `[]`. */
export type InputOf<F> = F extends (ctx: never, ...rest: infer R) => unknown ? R : never;
/** What a call to a method answers: its result, or for a method that streams (returns an async iterable) its chunks collected. */
export type OutputOf<F> = F extends (...args: never[]) => infer O ? (O extends AsyncIterable<infer C> ? C[] : Awaited<O>) : never;

/** Typed request/reply client for an agent definition `D`. */
export type CallClient<D> = {
  [K in keyof MethodsOf<D>]: (...input: InputOf<MethodsOf<D>[K]>) => Promise<OutputOf<MethodsOf<D>[K]>>;
};

/** Typed one-way client for an agent definition `D`. */
export type SendClient<D> = {
  [K in keyof MethodsOf<D>]: (...input: InputOf<MethodsOf<D>[K]>) => Promise<void>;
};
