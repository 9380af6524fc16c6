import type { RegistryAgent } from '../../agent-runtime/client/registry-view.ts';
import type { JsonSchema } from '../../agent-runtime/protocol/schema.ts';
import { CALL_PARAMETERS, CALL_RESPONSE_HEADERS, callErrorStatuses, errorResponses, ref } from './components.ts';
import type { OpenApiObject } from './components.ts';

/** Paths, and the schemas they refer to (components.schemas). */
export interface PathsPart {
  paths: OpenApiObject;
  schemas: OpenApiObject;
}

/** Keywords whose values are data, not schemas: a `$ref` in them is not a reference. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', 'example']);

/**
 * An agent's schema as it sits in the document at `#/components/schemas/<name>`:
 * a reference inside it to its own root (`#`, `#/definitions/x`, `#/$defs/x`)
 * would resolve against the document's root, so it is rewritten to point into
 * the schema's place. Other references are left as they are.
 */
export function embedSchema(schema: JsonSchema, name: string): JsonSchema {
  const base = `#/components/schemas/${name}`;
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value !== 'object' || value === null) return value;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#')) out[key] = base + inner.slice(1);
      else out[key] = DATA_KEYWORDS.has(key) ? inner : walk(inner);
    }
    return out;
  };
  return walk(schema) as JsonSchema;
}

const STREAM_NOTE =
  'With `Accept: text/event-stream`, a method that streams answers Server-Sent Events as its chunks come: `data: <json>` per chunk, ' +
  'then `event: end` (`{"chunks": n}`) or `event: error` (`{"error": {code, message}}`); one that does not stream answers as without the header.';

/** The responses of a call to a method: 200 with its result (`output`: its schema's name, else any JSON) or its stream, 204, the errors. */
function callResponses(output: string | undefined, authRequired: boolean): OpenApiObject {
  return {
    '200': {
      description: `The method’s result (a method that streams: its chunks as a JSON array). ${STREAM_NOTE}`,
      headers: CALL_RESPONSE_HEADERS,
      content: {
        'application/json': { schema: ref('schemas', output ?? 'AnyJson') },
        'text/event-stream': { schema: { type: 'string', description: 'Server-Sent Events, one `data:` line of JSON per chunk.' } },
      },
    },
    '204': { description: 'The method returned nothing.', headers: CALL_RESPONSE_HEADERS },
    ...errorResponses(callErrorStatuses(), authRequired),
  };
}

function methodOperation(agent: string, method: string, input: string | undefined, output: string | undefined, authRequired: boolean): OpenApiObject {
  return {
    operationId: `${agent}.${method}`,
    tags: [agent],
    summary: `${agent}.${method}`,
    description:
      `Calls \`${method}\` of the instance \`${agent}/{key}\`; turns of one instance never overlap. ` +
      `The body is the method’s input${input ? ', checked against its schema (400 naming the field when it fails)' : ''}; no body is no input.`,
    parameters: [ref('parameters', 'Key'), ...CALL_PARAMETERS],
    requestBody: { required: false, content: { 'application/json': { schema: ref('schemas', input ?? 'AnyJson') } } },
    responses: callResponses(output, authRequired),
  };
}

/** One path per method of each Agent (kind `agent`) whose pods published its API: `/v1/agents/<agent>/{key}/<method>`. */
export function agentMethodPaths(agents: readonly RegistryAgent[], authRequired: boolean): PathsPart {
  const paths: OpenApiObject = {};
  const schemas: OpenApiObject = {};
  for (const { spec, api } of agents) {
    if (api === undefined || (api.kind ?? 'agent') !== 'agent') continue;
    for (const [method, descriptor] of Object.entries(api.methods)) {
      let input: string | undefined;
      let output: string | undefined;
      if (descriptor.input !== undefined) {
        input = `${spec.name}.${method}.input`;
        schemas[input] = embedSchema(descriptor.input, input);
      }
      if (descriptor.output !== undefined) {
        output = `${spec.name}.${method}.output`;
        schemas[output] = embedSchema(descriptor.output, output);
      }
      paths[`/v1/agents/${spec.name}/{key}/${method}`] = { post: methodOperation(spec.name, method, input, output, authRequired) };
    }
  }
  return { paths, schemas };
}

/**
 * Agents whose pods have not published their API yet (none has run since
 * it was deployed, e.g. at zero replicas): their methods are unknown, so
 * they get the generic route, with `agent` one of them.
 */
export function unpublishedAgentPath(agents: readonly RegistryAgent[], authRequired: boolean): OpenApiObject {
  const names = agents.filter((agent) => agent.api === undefined).map((agent) => agent.spec.name);
  if (names.length === 0) return {};
  return {
    '/v1/agents/{agent}/{key}/{method}': {
      post: {
        operationId: 'callUnpublished',
        tags: names,
        summary: 'A method of an Agent whose API is not known yet',
        description:
          'These Agents’ pods have not published their methods yet (none has run since the Agent was deployed); the first call wakes one, and this document lists its methods from then on.',
        parameters: [
          { name: 'agent', in: 'path', required: true, schema: { type: 'string', enum: names } },
          ref('parameters', 'Key'),
          { name: 'method', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' } },
          ...CALL_PARAMETERS,
        ],
        requestBody: { required: false, content: { 'application/json': { schema: ref('schemas', 'AnyJson') } } },
        responses: callResponses(undefined, authRequired),
      },
    },
  };
}
