import type { AnyAgentDefinition, CallClient } from '../sdk/types.ts';
import type { AnyWorkflowDefinition } from '../sdk/workflow.ts';
import { replyStream } from './reply-stream.ts';
import { pathOf, readJson, send } from './transport.ts';
import type { ClientOptions, GatewayRequest, HttpCallOptions } from './transport.ts';
import type { StreamClient, WorkflowClient } from './types.ts';
import { workflowClient } from './workflows.ts';

/** A typed client of a Colony gateway, for code outside agents (a server, a script, a browser). */
export interface ColonyHttpClient {
  /**
   * The instance `key` of `agent`, typed by its definition (`typeof counter`,
   * imported as a type only): each method is a `POST /v1/agents/{agent}/{key}/{method}`
   * resolving with its result (a streaming method's chunks as an array) or
   * rejecting with a ColonyHttpError. `options` apply to every call made through it.
   */
  agent<D extends AnyAgentDefinition>(agent: string, key: string, options?: HttpCallOptions): CallClient<D>;
  /** The same instance, its methods' replies streamed (`Accept: text/event-stream`): `for await (const chunk of ...)`. */
  stream<D extends AnyAgentDefinition>(agent: string, key: string, options?: HttpCallOptions): StreamClient<D>;
  /** The instances of the workflow `workflow`, typed by its definition (`typeof approval`). */
  workflow<W extends AnyWorkflowDefinition>(workflow: string): WorkflowClient<W>;
}

/**
 * A client of the gateway at `url`. It uses only fetch, so it runs in Node
 * (20+), Deno, Bun and browsers.
 *
 *     const colony = createClient({ url: 'http://localhost:8080', token });
 *     await colony.agent<typeof counter>('counter', 'alice').increment({ by: 2 }); // { count: 2 }
 */
export function createClient(options: ClientOptions): ColonyHttpClient {
  const client: ClientOptions = { ...options };
  return {
    agent: <D extends AnyAgentDefinition>(agent: string, key: string, call: HttpCallOptions = {}) =>
      methods((method, input) => invoke(client, requestOf(agent, key, method, input), call)) as CallClient<D>,
    stream: <D extends AnyAgentDefinition>(agent: string, key: string, call: HttpCallOptions = {}) =>
      methods((method, input) => replyStream(client, requestOf(agent, key, method, input), call)) as StreamClient<D>,
    workflow: <W extends AnyWorkflowDefinition>(workflow: string) => workflowClient<W>(client, workflow),
  };
}

function requestOf(agent: string, key: string, method: string, input: unknown): Omit<GatewayRequest, 'accept'> {
  return { method: 'POST', path: pathOf('v1', 'agents', agent, key, method), body: input, what: `${agent}.${method} on ${key}` };
}

async function invoke(client: ClientOptions, request: GatewayRequest, call: HttpCallOptions): Promise<unknown> {
  return readJson(await send(client, request, call));
}

/** An object whose every property is a method `name(input)` running `run(name, input)`. */
function methods(run: (method: string, input: unknown) => unknown): object {
  return new Proxy(
    {},
    {
      get: (_target, property) => {
        // Not a thenable: `await colony.agent(...)` by mistake must not call a method named "then".
        if (typeof property !== 'string' || property === 'then') return undefined;
        return (input?: unknown) => run(property, input);
      },
    },
  );
}
