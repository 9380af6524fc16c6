import { AGENT_SPEC_SCHEMA } from '../manifest/agent-schema.ts';

export const GROUP = 'colony.dev';
export const VERSION = 'v1alpha1';
export const KIND = 'Agent';
export const PLURAL = 'agents';
export const CRD_NAME = `${PLURAL}.${GROUP}`;

type Schema = Record<string, unknown>;

/**
 * Kubernetes wants structural schemas: `properties` and `additionalProperties`
 * may not stand together (unknown fields are pruned instead), and Ajv-only
 * keywords are dropped. Everything else (types, enums, patterns, minimums,
 * defaults, descriptions) is kept, so the API server refuses what colony dev
 * refuses, naming the same field.
 */
export function toStructural(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toStructural);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema as Schema)) {
    if (key === 'additionalProperties' && value === false) continue;
    if (key === 'properties' || key === 'x-kubernetes-validations') {
      out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, toStructural(v)])) : value;
      continue;
    }
    out[key] = toStructural(value);
  }
  return out;
}

const condition = {
  type: 'object',
  required: ['type', 'status'],
  properties: {
    type: { type: 'string', description: 'Ready, Scaling or Degraded.' },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
    reason: { type: 'string', description: 'One CamelCase word.' },
    message: { type: 'string' },
    lastTransitionTime: { type: 'string', format: 'date-time' },
    observedGeneration: { type: 'integer' },
  },
};

export const AGENT_STATUS_SCHEMA = {
  type: 'object',
  description: 'Written by the Colony controller.',
  properties: {
    observedGeneration: { type: 'integer', description: 'The generation of the spec this status describes.' },
    replicas: { type: 'integer', description: 'Pods the autoscaler (or manual mode) wants now.' },
    readyReplicas: { type: 'integer', description: 'Pods running and serving.' },
    selector: { type: 'string', description: "Label selector of the pods (for the scale subresource); a placement group's members select the group's pods." },
    group: { type: 'string', description: 'The placement group whose pods host the Agent: its replicas, pods and partitions are the group\'s.' },
    activeInstances: { type: 'integer', description: 'Instances active in memory across the pods.' },
    partitions: { type: 'integer', description: 'Partitions of the Agent.' },
    partitionsServed: { type: 'integer', description: 'Partitions served by a running pod.' },
    partitionsSummary: { type: 'string', description: 'partitionsServed/partitions, for kubectl get.' },
    scalingReason: { type: 'string', description: "The autoscaler's latest reason." },
    conditions: { type: 'array', items: condition, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] },
  },
};

/** The CustomResourceDefinition of Agent, built from the one spec schema. */
export function agentCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: CRD_NAME, labels: { 'app.kubernetes.io/part-of': 'colony' } },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { plural: PLURAL, singular: 'agent', kind: KIND, listKind: 'AgentList', shortNames: ['ag'], categories: ['colony'] },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'An Agent: code plus its scaling, state and hardware settings; its instances are addressed as <agent>/<key>.',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: toStructural(AGENT_SPEC_SCHEMA),
                status: AGENT_STATUS_SCHEMA,
              },
            },
          },
          subresources: {
            status: {},
            scale: { specReplicasPath: '.spec.scaling.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
          },
          additionalPrinterColumns: [
            { name: 'Group', type: 'string', jsonPath: '.spec.placement.group', priority: 1 },
            { name: 'Mode', type: 'string', jsonPath: '.spec.scaling.mode' },
            { name: 'Replicas', type: 'integer', jsonPath: '.status.replicas' },
            { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
            { name: 'Partitions', type: 'string', jsonPath: '.status.partitionsSummary' },
            { name: 'Instances', type: 'integer', jsonPath: '.status.activeInstances' },
            { name: 'Status', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].reason" },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        },
      ],
    },
  };
}
