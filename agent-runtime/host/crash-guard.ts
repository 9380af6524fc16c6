import type { KV } from '@nats-io/kv';
import type { IncomingCall } from '../activation/mailbox.ts';
import { ColonyError } from '../protocol/errors.ts';
import { errorField } from '../observability/log.ts';
import type { StructuredLogger } from '../observability/log.ts';
import { runningKey } from '../protocol/subjects.ts';

/** What a pod writes before it runs a call that was sent again: it is running here. */
interface RunningMarker {
  pod: string;
  at: number;
}

export interface CrashGuardDeps {
  kv: KV;
  namespace: string;
  agent: string;
  podId: string;
  log: StructuredLogger;
  now: () => number;
}

/**
 * Stops a call that kills its pod (`process.exit`, running out of memory, a
 * native crash) from killing one pod after another.
 *
 * A caller sends a call again, with the same call id, when the pod it waited
 * on goes away (`Colony-Resent: n`, see client/request-mux.ts). Such a call
 * may have been running there when it died, and may be what killed it — or
 * the pod died of something else, and one resend is right. So a resent call
 * is marked as running on its new pod (a KV key, written before its turn
 * starts and removed once it is answered). When that pod dies too and the call
 * comes once more, the marker of the dead pod is still there: the call is
 * refused with `crashed` instead of being run again, the refusal is logged,
 * and it is remembered like any reply, so a retry with the same id is refused
 * at once. First sends, the hot path, never touch KV.
 */
export class CrashGuard {
  readonly #deps: CrashGuardDeps;

  constructor(deps: CrashGuardDeps) {
    this.#deps = deps;
  }

  /** The call, guarded if it was sent again after a pod went away; `done` runs once it is answered. */
  guard(call: IncomingCall): { call: IncomingCall; done: () => void } {
    const resent = call.meta.resent ?? 0;
    if (resent === 0 || !call.meta.callId || call.meta.oneway) return { call, done: () => undefined };
    const key = runningKey(this.#deps.namespace, this.#deps.agent, call.meta.key, call.meta.callId);
    let marked = false;
    const beforeTurn = async (): Promise<ColonyError | undefined> => {
      const refusal = await this.#check(key, call, resent);
      if (refusal) return refusal;
      marked = await this.#mark(key);
      return undefined;
    };
    return {
      call: { ...call, beforeTurn },
      done: () => {
        if (marked) this.#deps.kv.delete(key).catch(() => undefined);
      },
    };
  }

  async #check(key: string, call: IncomingCall, resent: number): Promise<ColonyError | undefined> {
    const { kv, agent, podId, log } = this.#deps;
    let marker: RunningMarker | undefined;
    try {
      const entry = await kv.get(key);
      marker = entry?.operation === 'PUT' ? entry.json<RunningMarker>() : undefined;
    } catch (error) {
      // Cannot tell: run it. The bound is lost for this call only while KV is unreachable.
      log.warn(`could not check whether a resent call was running when its pod died; running it`, { key: call.meta.key, ...errorField(error) });
      return undefined;
    }
    if (!marker || marker.pod === podId) return undefined;
    const { meta } = call;
    const pods = Math.max(2, resent);
    const error = new ColonyError(
      'crashed',
      `${agent}.${meta.method} on ${meta.key} (call ${JSON.stringify(meta.callId)}) was running on pod ${marker.pod} when it went away; this call was in flight when ${pods} pods went away (died, or stopped responding), and it is not sent again. It may be what ends them (process.exit, running out of memory, a native crash, a loop that never yields): see the logs of ${marker.pod}`,
    );
    log.error(`refused ${agent}/${meta.key}.${meta.method}: it was running when ${pods} pods went away (the last one ${marker.pod}); it is not sent again`, {
      key: meta.key,
      method: meta.method,
      callId: meta.callId,
    });
    return error;
  }

  async #mark(key: string): Promise<boolean> {
    const marker: RunningMarker = { pod: this.#deps.podId, at: this.#deps.now() };
    try {
      await this.#deps.kv.put(key, JSON.stringify(marker));
      return true;
    } catch (error) {
      this.#deps.log.warn('could not mark a resent call as running', errorField(error));
      return false;
    }
  }
}
