/**
 * Noticing that the process which started this one is gone, even when it was
 * killed with SIGKILL and could not say so: this process is then adopted by
 * another (init or a subreaper), so its parent pid changes. Used by local pods
 * (their parent is `colony dev`), by `colony dev`'s keeper, and by `colony` run
 * again on Node 24 by the bin on an older Node.
 */

/** How often a process looks at its parent pid, ms (one system call). */
export const PARENT_POLL_MS = 250;
/** A local pod whose `colony dev` is gone drains at most this long: nobody waits for its replies any more. */
export const PARENT_GONE_DRAIN_MS = 5_000;
/** After its drain, a pod whose parent is gone exits within this much more (closing NATS that may be gone too). */
export const PARENT_GONE_EXIT_MARGIN_MS = 2_000;

/** Whether the process `parentPid` is no longer this process's parent. */
export function parentGone(parentPid: number, ppid: number = process.ppid): boolean {
  return ppid !== parentPid;
}

/** The drain a pod whose parent is gone does: its own drain timeout, but no longer than PARENT_GONE_DRAIN_MS. */
export function parentGoneDrainMs(drainTimeoutMs: number): number {
  return Math.min(drainTimeoutMs, PARENT_GONE_DRAIN_MS);
}

/**
 * Calls `onGone` once, as soon as `parentPid` is no longer this process's
 * parent (checked every `intervalMs`). The watch keeps the process alive only
 * with `keepAlive`. Returns a function that ends the watch.
 */
export function watchParent(
  parentPid: number,
  onGone: () => void,
  options: { intervalMs?: number; keepAlive?: boolean } = {},
): () => void {
  const check = (): void => {
    if (!parentGone(parentPid)) return;
    clearInterval(timer);
    onGone();
  };
  const timer = setInterval(check, options.intervalMs ?? PARENT_POLL_MS);
  if (!options.keepAlive) timer.unref();
  // Gone already (it died before this process got here): say so now.
  queueMicrotask(check);
  return () => clearInterval(timer);
}
