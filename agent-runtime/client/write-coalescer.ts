import type { NatsConnection } from '@nats-io/nats-core';
import type { Socket } from 'node:net';

/**
 * Coalesces the socket writes a NATS connection makes within one turn of the
 * event loop into one `writev`. nats.js flushes after every microtask
 * checkpoint, so a gateway that handles 32 HTTP requests in one poll phase
 * makes 32 socket writes; on loopback each write also pays for the receiver's
 * TCP processing. Corking the socket until the check phase (setImmediate)
 * sends them together, in the same loop iteration, so no latency is added.
 *
 * This reaches into nats.js internals (`protocol.transport.socket`); when they
 * are not there (another transport, a future release) it does nothing.
 */
export class WriteCoalescer {
  readonly #nc: NatsConnection;
  #corked: Socket | undefined;
  readonly #uncork = (): void => {
    const socket = this.#corked;
    this.#corked = undefined;
    socket?.uncork();
  };

  constructor(nc: NatsConnection) {
    this.#nc = nc;
  }

  /** Holds this connection's writes until the end of the current event-loop turn. */
  hold(): void {
    if (this.#corked) return;
    const socket = (this.#nc as unknown as { protocol?: { transport?: { socket?: Socket } } }).protocol?.transport?.socket;
    if (!socket || socket.destroyed || typeof socket.cork !== 'function') return;
    socket.cork();
    this.#corked = socket;
    setImmediate(this.#uncork);
  }
}
