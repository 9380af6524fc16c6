import type { WorkflowView } from '../protocol/workflow.ts';
import type { InputOf, JsonValue, MethodsOf } from '../sdk/types.ts';
import type { WorkflowDefinition } from '../sdk/workflow.ts';
import type { HttpCallOptions } from './transport.ts';

/** The chunks of a method's streamed reply: what its async iterable yields; for another method, unknown (what it writes to ctx.stream, or its result). */
type ChunkOf<F> = F extends (...args: never[]) => infer O ? (O extends AsyncIterable<infer C> ? C : unknown) : never;

/** Typed streamed-reply client for an agent definition `D`: each method's chunks as they come. */
export type StreamClient<D> = {
  [K in keyof MethodsOf<D>]: (...input: InputOf<MethodsOf<D>[K]>) => AsyncIterable<ChunkOf<MethodsOf<D>[K]>>;
};

type BodyOf<W> = W extends WorkflowDefinition<infer _A, infer R> ? R : never;
/** A workflow's input: the second parameter of its body. */
export type WorkflowInputOf<W> = BodyOf<W> extends (ctx: never, input: infer I) => unknown ? I : never;
/** A workflow's output: what its body resolves with. */
export type WorkflowOutputOf<W> = BodyOf<W> extends (...args: never[]) => Promise<infer O> ? O : JsonValue;

/** What the verbs answer: the instance and its status after the verb. */
export type WorkflowVerbReply = Pick<WorkflowView, 'id' | 'workflow' | 'status'>;

/** Typed client of the workflow instances of a workflow definition `W` (`typeof approval`). */
export interface WorkflowClient<W> {
  /** Starts the instance `id` with `input`; rejects with `already_exists` while one with that id exists. */
  start(id: string, input: WorkflowInputOf<W>, options?: HttpCallOptions): Promise<WorkflowVerbReply>;
  /** The instance as it is now; `not_found` if it was never started, or purged. */
  get(id: string, options?: Pick<HttpCallOptions, 'signal'>): Promise<WorkflowView<WorkflowInputOf<W>, WorkflowOutputOf<W>>>;
  /** The instance once it is no longer running, or as it is when `timeoutMs` (default 30 s, at most 15 min) passed. */
  wait(id: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<WorkflowView<WorkflowInputOf<W>, WorkflowOutputOf<W>>>;
  /** Delivers the event `name` (what `ctx.waitForEvent(name)` resolves with); `failed_precondition` once it finished. */
  event(id: string, name: string, payload?: unknown, options?: HttpCallOptions): Promise<WorkflowVerbReply>;
  /** Ends it as `terminated` with `reason`; `failed_precondition` once it finished. */
  terminate(id: string, reason?: string, options?: HttpCallOptions): Promise<WorkflowVerbReply>;
  suspend(id: string, options?: HttpCallOptions): Promise<WorkflowVerbReply>;
  resume(id: string, options?: HttpCallOptions): Promise<WorkflowVerbReply>;
  /** Deletes a finished instance and its journal (the id can be used again); `failed_precondition` while it runs. */
  purge(id: string, options?: HttpCallOptions): Promise<{ id: string; workflow: string; purged: true }>;
}
