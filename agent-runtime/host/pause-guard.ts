import type { NatsConnection } from '@nats-io/nats-core';

export interface PauseGuardDeps {
  nc: NatsConnection;
  /** A gap in the event loop this long means the pod was paused (DEFAULT_STALL_LIMIT_MS). */
  stallLimitMs: number;
  /**
   * The pod may have been declared dead meanwhile, and its partitions given to
   * others: stop serving, drop what it holds without writing, re-read the table.
   * Resolves when it may serve again.
   */
  revalidate(reason: string): Promise<void>;
  /** Real time, not the injectable clock: a pause is measured on the wall. */
  wallNow?: () => number;
}

/**
 * Notices that the pod may no longer own what it thinks it owns: its event
 * loop did not run for a while (SIGSTOP, a VM pause, a long synchronous
 * turn), or its NATS connection was re-established. Either way the pod
 * revalidates before serving again (decision 9).
 */
export class PauseGuard {
  readonly #deps: PauseGuardDeps;
  readonly #wallNow: () => number;
  /** Last time the event loop ran a tick; a call that finds this old means the pod was paused. */
  #lastTick: number;
  #revalidating: Promise<void> | undefined;
  #enabled = false;

  constructor(deps: PauseGuardDeps) {
    this.#deps = deps;
    this.#wallNow = deps.wallNow ?? Date.now;
    this.#lastTick = this.#wallNow();
  }

  /** True while the pod re-checks what it owns: it serves nothing meanwhile. */
  get revalidating(): boolean {
    return this.#revalidating !== undefined;
  }

  /** Starts watching the NATS connection; ticks are the caller's (`tick`). */
  start(): void {
    this.#enabled = true;
    this.#lastTick = this.#wallNow();
    void this.#watchConnection();
  }

  stop(): void {
    this.#enabled = false;
  }

  /** The event loop runs (called on a short interval). */
  tick(): void {
    const now = this.#wallNow();
    const gap = now - this.#lastTick;
    this.#lastTick = now;
    if (gap > this.#deps.stallLimitMs) this.#trigger(`the pod's event loop did not run for ${gap} ms`);
  }

  /** A call arrived: if the loop has not ticked for too long, the pod was paused and it must not run here yet. */
  checkCall(): void {
    if (this.#wallNow() - this.#lastTick > this.#deps.stallLimitMs) this.#trigger('a call arrived after the pod was paused');
  }

  async #watchConnection(): Promise<void> {
    for await (const status of this.#deps.nc.status()) {
      if (status.type === 'reconnect') this.#trigger('the NATS connection was re-established');
    }
  }

  #trigger(reason: string): void {
    if (this.#revalidating || !this.#enabled) return;
    this.#revalidating = this.#deps.revalidate(reason).finally(() => {
      this.#revalidating = undefined;
      this.#lastTick = this.#wallNow();
    });
  }
}
