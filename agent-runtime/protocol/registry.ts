import type { JsonSchema } from './schema.ts';

/** What the controller publishes about an Agent (registry key `spec.<ns>.<agent>`). */
export interface AgentSpecRecord {
  namespace: string;
  name: string;
  partitions: number;
  minReplicas: number;
  maxReplicas: number;
  updatedAt: number;
}

export interface MethodDescriptor {
  /** JSON schema of the method's input, when the agent declares one. */
  input?: JsonSchema;
}

/** What an Agent's pods publish about its API (registry key `api.<ns>.<agent>`). */
export interface AgentApiRecord {
  namespace: string;
  name: string;
  methods: Record<string, MethodDescriptor>;
  updatedAt: number;
}
