import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RegistryAgent } from '../../agent-runtime/client/registry-view.ts';
import type { AgentStatusRecord, MethodDescriptor } from '../../agent-runtime/protocol/registry.ts';
import type { GatewayRegistry } from '../deps.ts';
import { unknownAgentError } from '../errors.ts';

/** An Agent as GET /v1/agents describes it. */
export interface AgentDescription {
  name: string;
  partitions: number;
  minReplicas: number;
  maxReplicas: number;
  /** The placement group it shares pods with, if any. */
  group?: string;
  /** The placement key is the instance key up to the first occurrence of this, when set. */
  keyDelimiter?: string;
  /** `workflow` when its module defines a workflow (started with /v1/workflows), `agent` otherwise; absent until a pod has published its API. */
  kind?: 'agent' | 'workflow';
  /** Method name → its input schema; empty until a pod of the Agent has published its API, and for a workflow. */
  methods: Record<string, MethodDescriptor>;
  /** The activities its pods run, when it declares any. */
  activities?: string[];
  /** The topics its methods handle, when it subscribes to any. */
  subscriptions?: { topic: string; method: string }[];
}

export function describeAgent(entry: RegistryAgent): AgentDescription {
  const { spec, api } = entry;
  return {
    name: spec.name,
    partitions: spec.partitions,
    minReplicas: spec.minReplicas,
    maxReplicas: spec.maxReplicas,
    ...(spec.group ? { group: spec.group } : {}),
    ...(spec.keyDelimiter ? { keyDelimiter: spec.keyDelimiter } : {}),
    ...(api ? { kind: api.kind ?? 'agent' } : {}),
    methods: api?.methods ?? {},
    ...(api?.activities?.length ? { activities: api.activities } : {}),
    ...(api?.subscriptions?.length ? { subscriptions: api.subscriptions } : {}),
  };
}

export interface AgentRoutesOptions {
  registry: GatewayRegistry;
  namespace: string;
}

interface AgentRoute {
  Params: { agent: string };
}

/** GET /v1/agents and GET /v1/agents/:agent — what the registry knows, for people and the CLI. */
export function registerAgentRoutes(app: FastifyInstance, options: AgentRoutesOptions): void {
  const { registry, namespace } = options;

  app.get('/v1/agents', async () => ({ agents: registry.list().map(describeAgent) }));

  app.get<AgentRoute>('/v1/agents/:agent', async (request: FastifyRequest<AgentRoute>, _reply: FastifyReply<AgentRoute>) => {
    const entry = registry.get(request.params.agent);
    if (entry === undefined) {
      throw unknownAgentError(request.params.agent, namespace, registry.list().map((known) => known.spec.name));
    }
    return describeAgent(entry);
  });

  // Pods, partitions, load and recent scaling decisions, as the controller last published them (every second).
  app.get<AgentRoute>('/v1/agents/:agent/status', async (request: FastifyRequest<AgentRoute>, _reply: FastifyReply<AgentRoute>) => {
    const entry = registry.get(request.params.agent);
    if (entry === undefined) {
      throw unknownAgentError(request.params.agent, namespace, registry.list().map((known) => known.spec.name));
    }
    return entry.status ?? statusNotYetPublished(entry);
  });
}

/** Before the controller's first status report: what the spec says, and no pods. */
function statusNotYetPublished(entry: RegistryAgent): AgentStatusRecord {
  const { spec } = entry;
  return {
    namespace: spec.namespace,
    name: spec.name,
    origin: '',
    desiredReplicas: 0,
    readyReplicas: 0,
    reason: 'the controller has not reported a status yet',
    ...(spec.group ? { group: spec.group } : {}),
    partitions: spec.partitions,
    partitionsServed: 0,
    activeInstances: 0,
    pods: [],
    decisions: [],
    updatedAt: 0,
  };
}
