import { errorField } from '../observability/log.ts';
import type { Activation } from '../activation/activation.ts';
import { DUPLICATE_WINDOW_MS } from '../protocol/topics.ts';

/** Puts events in their topics; the event id makes a repeat of the same event a no-op (the stream's duplicate window). */
export interface EventSink {
  publish(topic: string, id: string, data: string): Promise<void>;
}

/**
 * Publishes what the instance's outbox holds: events of committed turns,
 * written with the state they were committed with (a turn that fails
 * publishes nothing; a pod that dies between the write and the publish
 * leaves them for the next activation, which publishes them again under the
 * same ids). Those published leave the outbox with the instance's next write.
 * Events older than the stream's duplicate window are dropped with a warning
 * rather than risk a duplicate: only a pod dead in that gap, and not
 * reactivated for that long, leaves one.
 */
export async function publishOutbox(activation: Activation): Promise<void> {
  const { record, deps } = activation;
  if (!record.hasOutbox) return;
  const pending = record.outbox();
  const sink = deps.events;
  if (!sink) {
    deps.log.error(`${activation.address} published ${pending.length} events but this pod has no event sink; they stay in its outbox`, { key: activation.key });
    return;
  }
  const now = deps.now();
  const done: string[] = [];
  for (const [id, event] of pending) {
    if (now - event.at > DUPLICATE_WINDOW_MS) {
      deps.log.warn(`dropping event ${id} to topic ${event.topic} from the outbox of ${activation.address}: it was committed ${Math.round((now - event.at) / 1000)} s ago, past the duplicate window, and was most likely published then`, { key: activation.key });
      done.push(id);
      continue;
    }
    try {
      await sink.publish(event.topic, id, event.data);
      done.push(id);
    } catch (error) {
      deps.log.warn(`could not publish event ${id} to topic ${event.topic} from ${activation.address}; it stays in the outbox and is published again with its next turn or activation`, { key: activation.key, ...errorField(error) });
      break;
    }
  }
  record.published(done);
}
