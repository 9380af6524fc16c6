import type { CoreV1Api, V1ObjectReference } from '@kubernetes/client-node';

/** The `source.component` and `reportingComponent` of every Event Colony records. */
export const EVENT_SOURCE = 'colony-controller';

export interface EventSpec {
  /** The object the Event is about; its namespace is where the Event goes. */
  involvedObject: V1ObjectReference & { name: string; namespace: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  now: Date;
}

/** Creates a core/v1 Event (what `kubectl describe` and `kubectl get events` show). */
export async function recordEvent(core: CoreV1Api, event: EventSpec): Promise<void> {
  const { involvedObject, type, reason, message, now } = event;
  await core.createNamespacedEvent({
    namespace: involvedObject.namespace,
    body: {
      metadata: { generateName: `${involvedObject.name}.`, namespace: involvedObject.namespace },
      involvedObject,
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: EVENT_SOURCE },
      reportingComponent: EVENT_SOURCE,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    },
  });
}
