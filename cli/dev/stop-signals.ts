/** The signals on which `colony dev` drains and stops: Ctrl-C, SIGTERM, and SIGHUP (its terminal closed). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/**
 * What a stop signal does. The first drains and stops. A second Ctrl-C or
 * SIGTERM exits at once (the user insists). A SIGHUP while stopping is ignored:
 * a closing terminal may send two (the kernel to the foreground job, the shell
 * to its jobs), and nobody is left to insist.
 */
export function onStopSignal(signal: StopSignal, stopping: boolean): 'stop' | 'exit-now' | 'ignore' {
  if (!stopping) return 'stop';
  return signal === 'SIGHUP' ? 'ignore' : 'exit-now';
}

/**
 * Resolves with the first stop signal; a later one is handled by
 * onStopSignal (`exitNow` for exit-now).
 */
export function firstStopSignal(exitNow: (signal: StopSignal) => void): Promise<StopSignal> {
  return new Promise((resolve) => {
    let stopping = false;
    for (const signal of STOP_SIGNALS) {
      process.on(signal, () => {
        const action = onStopSignal(signal, stopping);
        stopping = true;
        if (action === 'stop') resolve(signal);
        if (action === 'exit-now') exitNow(signal);
      });
    }
  });
}
