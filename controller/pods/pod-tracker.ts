import type { PodHeartbeat } from '../../agent-runtime/protocol/placement.ts';

/** A pod with no heartbeat for this long is declared dead and its partitions move. */
export const DEFAULT_POD_TIMEOUT_MS = 5_000;

export interface TrackedPod {
  podId: string;
  heartbeat: PodHeartbeat;
  lastSeenAt: number;
}

/**
 * The controller's knowledge of the pods of each Agent, from their heartbeats.
 * A pod is live while it heartbeats; the driver may also report a pod gone at
 * once (its process exited), without waiting for the timeout.
 */
export class PodTracker {
  readonly #pods = new Map<string, TrackedPod>();
  readonly #timeoutMs: number;

  constructor(timeoutMs = DEFAULT_POD_TIMEOUT_MS) {
    this.#timeoutMs = timeoutMs;
  }

  /** Records a heartbeat; returns true when it changes what placement depends on (state, served partitions, new pod). */
  record(heartbeat: PodHeartbeat, now: number): boolean {
    const previous = this.#pods.get(heartbeat.podId);
    if (previous && previous.heartbeat.sentAt > heartbeat.sentAt) return false;
    this.#pods.set(heartbeat.podId, { podId: heartbeat.podId, heartbeat, lastSeenAt: now });
    if (!previous) return true;
    const before = previous.heartbeat;
    return (
      before.state !== heartbeat.state ||
      before.served.length !== heartbeat.served.length ||
      before.served.some((p, i) => heartbeat.served[i] !== p) ||
      now - previous.lastSeenAt > this.#timeoutMs
    );
  }

  /** Forgets a pod (its process is gone). */
  remove(podId: string): boolean {
    return this.#pods.delete(podId);
  }

  isLive(pod: TrackedPod, now: number): boolean {
    return pod.heartbeat.state !== 'stopped' && now - pod.lastSeenAt <= this.#timeoutMs;
  }

  /** Live pods of one Agent. */
  live(namespace: string, agent: string, now: number): TrackedPod[] {
    return [...this.#pods.values()].filter(
      (pod) => pod.heartbeat.namespace === namespace && pod.heartbeat.agent === agent && this.isLive(pod, now),
    );
  }

  /**
   * Pods of one Agent that heartbeated and then went silent for longer than
   * the timeout without saying they stopped: blocked, paused or cut off.
   */
  silent(namespace: string, agent: string, now: number): TrackedPod[] {
    return [...this.#pods.values()].filter(
      (pod) => pod.heartbeat.namespace === namespace && pod.heartbeat.agent === agent && pod.heartbeat.state !== 'stopped' && !this.isLive(pod, now),
    );
  }

  /** Drops pods silent for long enough that nobody needs their last report (10× the timeout). */
  sweep(now: number): string[] {
    const gone: string[] = [];
    for (const [podId, pod] of this.#pods) {
      if (now - pod.lastSeenAt > this.#timeoutMs * 10 || pod.heartbeat.state === 'stopped') {
        this.#pods.delete(podId);
        gone.push(podId);
      }
    }
    return gone;
  }
}
