import { describe, expect, it } from 'vitest';
import { onStopSignal } from './stop-signals.ts';

describe('what a stop signal does to colony dev', () => {
  it('stops on the first of Ctrl-C, SIGTERM and SIGHUP', () => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) expect(onStopSignal(signal, false)).toBe('stop');
  });

  it('exits at once on a second Ctrl-C or SIGTERM, and keeps draining on a second SIGHUP (a closing terminal may send two)', () => {
    expect(onStopSignal('SIGINT', true)).toBe('exit-now');
    expect(onStopSignal('SIGTERM', true)).toBe('exit-now');
    expect(onStopSignal('SIGHUP', true)).toBe('ignore');
  });
});
