import { describe, expect, it } from 'vitest';
import type { DriverPod } from '../../controller/drivers/driver.ts';
import { formatPodLine, stackFrames } from './pod-log.ts';

const pod: DriverPod = { podId: 'counter-abc123', agent: 'counter', namespace: 'default', startedAt: 0, restarts: 0, detail: {} };
const runtime = new URL('../../agent-runtime/activation/turn.ts', import.meta.url).pathname;
const stack = [
  'Error: boom',
  '    at Object.fail (file:///home/me/agents/counter.ts:12:11)',
  `    at body (file://${runtime}:40:3)`,
  '    at process.processTicksAndRejections (node:internal/process/task_queues:105:5)',
].join('\n');

describe('formatPodLine', () => {
  it('shows the agent code frames of a failed method (a warning), without Colony and Node internals', () => {
    const line = JSON.stringify({ time: '2026-11-29T06:00:00.000Z', level: 'warn', msg: 'counter.fail on a failed: boom', method: 'fail', stack });
    const printed = formatPodLine(pod, line, false);
    expect(printed).toBe('06:00:00 counter-abc123 WRN counter.fail on a failed: boom method=fail\n    at Object.fail (file:///home/me/agents/counter.ts:12:11)');
  });

  it('leaves out the frames of installed packages (Colony installed from its tarball, its dependencies)', () => {
    const installed = '    at body (file:///home/me/app/node_modules/colony/dist/agent-runtime/activation/turn.js:40:3)';
    expect(stackFrames(`Error: x\n    at Object.fail (file:///home/me/app/counter.ts:12:11)\n${installed}`)).toBe('\n    at Object.fail (file:///home/me/app/counter.ts:12:11)');
  });

  it('shows every frame when none is the agent code', () => {
    expect(stackFrames(`Error: x\n    at body (file://${runtime}:40:3)`)).toContain('turn.ts:40:3');
  });

  it('shows no stack for info lines', () => {
    const line = JSON.stringify({ time: '2026-11-29T06:00:00.000Z', level: 'info', msg: 'pod started', stack });
    expect(formatPodLine(pod, line, false)).toBe('06:00:00 counter-abc123 INF pod started');
  });
});
