/**
 * The schema of an Agent manifest's `spec`, written once: `colony dev`
 * validates manifests with it, and the CRD's openAPIV3Schema is built from it,
 * so the same YAML is accepted or refused with the same messages everywhere.
 * It stays within the structural-schema rules of Kubernetes (no $ref, types everywhere).
 */
const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';

const duration = (description: string, fallback: string): Record<string, unknown> => ({
  type: 'string',
  pattern: DURATION_PATTERN,
  default: fallback,
  description: `${description} A duration such as 500ms, 30s, 5m or 1h.`,
});

const openObject = (description: string): Record<string, unknown> => ({
  type: 'object',
  description,
  'x-kubernetes-preserve-unknown-fields': true,
});

export const AGENT_SPEC_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['module'],
  properties: {
    module: {
      type: 'string',
      minLength: 1,
      description: 'The agent module: a path relative to the manifest (colony dev), inside the image (spec.image), or the ConfigMap key (spec.source).',
    },
    export: { type: 'string', minLength: 1, description: 'The export of the module that holds the agent definition; needed only when it exports several.' },
    image: { type: 'string', minLength: 1, description: 'An image built on the Colony runtime image, with the agent module inside.' },
    source: {
      type: 'object',
      additionalProperties: false,
      description: 'Agent source in a ConfigMap, loaded by the stock runtime image.',
      properties: {
        configMapRef: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1 }, key: { type: 'string', minLength: 1 } },
        },
      },
    },
    partitions: { type: 'integer', minimum: 1, maximum: 4096, default: 64, description: 'Fixed number of partitions; instances are placed by hash(key) mod partitions.' },
    durability: {
      type: 'string',
      enum: ['turn', 'async', 'none'],
      default: 'turn',
      description: 'turn: state is persisted before the reply; async: batched in the background; none: memory only.',
    },
    idleTimeout: duration('An instance with no calls for this long is deactivated.', '5m'),
    drainTimeout: duration('How long a stopping pod may take to finish turns and persist.', '30s'),
    retention: duration('Workflows only: how long a finished workflow instance (its record and journal) is kept before it is purged.', '168h'),
    scaling: {
      type: 'object',
      additionalProperties: false,
      default: {},
      // Checked by the API server (CEL); colony dev checks it in resolveAgent.
      'x-kubernetes-validations': [
        { rule: '!has(self.minReplicas) || !has(self.maxReplicas) || self.maxReplicas >= self.minReplicas', message: 'maxReplicas must be at least minReplicas' },
      ],
      properties: {
        mode: { type: 'string', enum: ['auto', 'manual'], default: 'auto', description: 'manual turns the autoscaler off; replicas then come from spec.scaling.replicas (kubectl scale).' },
        replicas: { type: 'integer', minimum: 0, description: 'Pods to run in manual mode.' },
        minReplicas: { type: 'integer', minimum: 0, default: 1, description: 'Fewest pods; 0 allows scale to zero.' },
        maxReplicas: { type: 'integer', minimum: 1, default: 10, description: 'Most pods.' },
        targetInflight: { type: 'integer', minimum: 1, default: 100, description: 'Turns in flight per pod the autoscaler aims for.' },
        targetActiveInstances: { type: 'integer', minimum: 1, default: 100000, description: 'Active instances per pod the autoscaler aims for.' },
        scaleToZeroAfter: duration('With minReplicas 0, an Agent with no calls for this long has its pods removed.', '5m'),
      },
    },
    placement: {
      type: 'object',
      additionalProperties: false,
      description: 'Co-location with other Agents (placement groups) and how an instance key is placed.',
      properties: {
        group: {
          type: 'string',
          pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
          description:
            "A placement group: the pods of the group host all of its Agents, and instances whose placement key is the same land on the same pod, so calls between them are in-process. The group's pods, partitions and scaling are set by its first member by name.",
        },
        keyDelimiter: {
          type: 'string',
          minLength: 1,
          maxLength: 8,
          description: 'The placement key is the instance key up to the first occurrence of this, e.g. ":" places order/tenant7:1234 with customer/tenant7. Unset: the whole key.',
        },
      },
    },
    subscriptions: {
      type: 'array',
      description: "Topics whose events the Agent's methods handle, besides those its code declares.",
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['topic', 'method', 'key'],
        properties: {
          topic: { type: 'string', pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', description: 'The topic.' },
          method: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$', description: 'The method each event is passed to.' },
          key: { type: 'string', pattern: '^[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*$', description: 'The path of the field of the event that names the instance, e.g. customerId.' },
          maxAttempts: { type: 'integer', minimum: 1, maximum: 100, default: 5, description: 'Attempts before the event goes to <topic>-dead-letter.' },
        },
      },
    },
    env: {
      type: 'array',
      description: 'Environment variables of the pods.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, value: { type: 'string' } },
      },
    },
    resources: openObject('Kubernetes resource requests and limits of each pod, e.g. nvidia.com/gpu.'),
    nodeSelector: { type: 'object', additionalProperties: { type: 'string' }, description: 'Kubernetes node selector of the pods.' },
    tolerations: { type: 'array', items: openObject('A Kubernetes toleration.'), description: 'Kubernetes tolerations of the pods.' },
    affinity: openObject('Kubernetes affinity of the pods.'),
    serviceAccountName: { type: 'string', description: 'Kubernetes service account of the pods.' },
    volumes: {
      type: 'array',
      description:
        'Kubernetes volumes of the pods, as in a pod spec (a persistentVolumeClaim of a local volume, a configMap, a csi or an ephemeral volume...), mounted with volumeMounts. Names tmp, agent-source and *-source are Colony\'s own.',
      items: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string', pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' } },
        'x-kubernetes-preserve-unknown-fields': true,
      },
    },
    volumeMounts: {
      type: 'array',
      description: 'Where the runtime container mounts spec.volumes.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'mountPath'],
        properties: {
          name: { type: 'string', minLength: 1 },
          mountPath: { type: 'string', pattern: '^/' },
          readOnly: { type: 'boolean' },
          subPath: { type: 'string' },
        },
      },
    },
  },
} as const;
