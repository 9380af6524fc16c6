/**
 * A local pod's watchdog (agent-runtime/host/watchdog) writes JSON lines to
 * stderr with a `watchdog` field: `blocked` when the event loop stopped, with
 * what runs, and `kill` right before it ends the pod. The driver reads them
 * to show them in `colony get pods`, as Kubernetes shows a container's
 * termination message.
 */
export interface WatchdogReport {
  state: 'blocked' | 'kill';
  message: string;
}

export function readWatchdogLine(line: string): WatchdogReport | undefined {
  // Cheap test first: pods write many lines; only a watchdog's carry this field.
  if (!line.includes('"watchdog":')) return undefined;
  try {
    const parsed = JSON.parse(line) as { msg?: unknown; watchdog?: { state?: unknown } };
    const state = parsed.watchdog?.state;
    if ((state === 'blocked' || state === 'kill') && typeof parsed.msg === 'string') return { state, message: parsed.msg };
  } catch {
    // Not JSON: not the watchdog.
  }
  return undefined;
}
