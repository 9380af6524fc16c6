import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { errorField } from '../observability/log.ts';
import type { StructuredLogger } from '../observability/log.ts';
import { MAX_INSTANCE_PAGE, pageOfKeys } from '../protocol/admin.ts';
import type { ActiveInstancesAnswer, ActiveInstancesQuery } from '../protocol/admin.ts';
import { instanceListSubject } from '../protocol/subjects.ts';

export interface InstanceListingDeps {
  nc: NatsConnection;
  namespace: string;
  agent: string;
  podId: string;
  /** The keys of the Agent's instances in memory on this pod. */
  keys: () => Iterable<string>;
  log: StructuredLogger;
}

/** The query in a request, with its limit held to MAX_INSTANCE_PAGE; a malformed one asks for the first page. */
export function readListQuery(data: Uint8Array): ActiveInstancesQuery {
  let parsed: Partial<ActiveInstancesQuery> = {};
  try {
    parsed = data.byteLength === 0 ? {} : (JSON.parse(new TextDecoder().decode(data)) as Partial<ActiveInstancesQuery>);
  } catch {
    // Answered as the first page: the gateway always sends JSON.
  }
  const limit = typeof parsed.limit === 'number' && Number.isInteger(parsed.limit) && parsed.limit > 0 ? Math.min(parsed.limit, MAX_INSTANCE_PAGE) : MAX_INSTANCE_PAGE;
  return { after: typeof parsed.after === 'string' ? parsed.after : undefined, limit };
}

/**
 * Answers the gateway's question "which instances of this Agent are in
 * memory?" (instanceListSubject): every pod of the Agent subscribes, without
 * a queue group, and answers one page of its own keys; the gateway merges
 * the pages (client/instance-directory.ts). Nothing is activated.
 */
export function answerInstanceListings(deps: InstanceListingDeps): Subscription {
  const { nc, namespace, agent, podId, log } = deps;
  return nc.subscribe(instanceListSubject(namespace, agent), {
    callback: (error, msg) => {
      if (error) {
        log.error('the instance listing subscription failed', errorField(error));
        return;
      }
      const query = readListQuery(msg.data);
      const answer: ActiveInstancesAnswer = { pod: podId, ...pageOfKeys(deps.keys(), query.after, query.limit) };
      try {
        msg.respond(JSON.stringify(answer));
      } catch {
        // The connection is closing; the gateway answers with the pods that did.
      }
    },
  });
}
