/**
 * Kubernetes label and annotation keys, defined once for the controller's
 * builders, its Kubernetes driver and the tests. The chart's templates cannot
 * import them and repeat what they need: the runtime NetworkPolicy selects
 * runtime pods by part-of and component, and opens RUNTIME_HEALTH_PORT.
 */
export const LABEL = {
  /**
   * The placement unit a runtime pod (or its Deployment / ConfigMap) belongs
   * to: its Agent, or its placement group (then `group` says so too).
   */
  agent: 'colony.dev/agent',
  /** The placement group whose pods host several Agents; only on a group's pods and objects. */
  group: 'colony.dev/group',
  name: 'app.kubernetes.io/name',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const PART_OF = 'colony';
export const MANAGED_BY = 'colony-controller';
/** The component label value of runtime pods. */
export const RUNTIME_COMPONENT = 'runtime';

export const ANNOTATION = {
  /** Hash of what the pods' configuration depends on: a change rolls the pods. */
  configHash: 'colony.dev/config-hash',
  /** Kubernetes removes the pods with the lowest cost first when a ReplicaSet shrinks. */
  podDeletionCost: 'controller.kubernetes.io/pod-deletion-cost',
} as const;

/** Port of a runtime pod's /healthz and /readyz. */
export const RUNTIME_HEALTH_PORT = 8081;
