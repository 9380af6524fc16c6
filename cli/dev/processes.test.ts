import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isRunning, natsServersUsing, processStart, selfRef, signalProcess, startFromStat, storeDirOf } from './processes.ts';

describe('naming a process so that a reused pid does not match', () => {
  it('reads the start time from /proc/<pid>/stat, whatever the command name holds', () => {
    const fields = ['S', '1', ...Array.from({ length: 17 }, (_, i) => String(i)), '123456', '0'];
    expect(startFromStat(`42 (node) ${fields.join(' ')}`)).toBe('123456');
    expect(startFromStat(`42 (a (b) c) ${fields.join(' ')}`)).toBe('123456');
    expect(startFromStat(`42 (node) Z ${fields.slice(1).join(' ')}`)).toBeUndefined();
  });

  it.skipIf(process.platform !== 'linux')('knows this process, and no process by another start time', () => {
    expect(processStart(process.pid)).toMatch(/^\d+$/);
    expect(isRunning(selfRef())).toBe(true);
    expect(isRunning({ pid: process.pid, start: '1' })).toBe(false);
    expect(signalProcess({ pid: process.pid, start: '1' }, 'SIGTERM')).toBe(false);
  });

  it('counts a process gone once it exited', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const ref = { pid: child.pid as number, start: processStart(child.pid as number) };
    expect(isRunning(ref)).toBe(true);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    expect(signalProcess(ref, 'SIGKILL')).toBe(true);
    await exited;
    expect(isRunning(ref)).toBe(false);
  });
});

describe('finding nats-servers on a store', () => {
  it('reads the store from the ways nats-server takes it', () => {
    expect(storeDirOf(['/usr/bin/nats-server', '-js', '-sd', '/d/nats'])).toBe('/d/nats');
    expect(storeDirOf(['nats-server-v2.15.2', '--store_dir', '/d/nats'])).toBe('/d/nats');
    expect(storeDirOf(['nats-server', '-sd=/d/nats'])).toBe('/d/nats');
    expect(storeDirOf(['nats-server', '-js'])).toBeUndefined();
    expect(storeDirOf(['/bin/sh', '-c', 'x', '-sd', '/d/nats'])).toBeUndefined();
  });

  it('finds none on a store nobody uses', () => {
    expect(natsServersUsing('/nonexistent/colony/nats')).toEqual([]);
  });
});
