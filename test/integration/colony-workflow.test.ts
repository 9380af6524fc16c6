import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import { startGateway } from '../../gateway/gateway.ts';
import type { RunningGateway } from '../../gateway/gateway.ts';
import { COLONY_BIN, runColony } from '../helpers/colony-dev.ts';
import type { ColonyRun } from '../helpers/colony-dev.ts';
import { NS, useGatewayOverNats } from '../helpers/gateway-over-nats.ts';
import { seedWorkflows } from '../helpers/workflow-stand-in.ts';
import type { WorkflowStandIn } from '../helpers/workflow-stand-in.ts';

/** `colony workflow …` against a gateway started as its process starts it (startGateway), over a stand-in workflow pod. */

describe('colony workflow', () => {
  const standIns = new Map<string, WorkflowStandIn>();
  const rig = useGatewayOverNats(seedWorkflows(standIns, [{ name: 'order', partitions: 2 }]));
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ nc: await rig.nats.connect(), namespace: NS, host: '127.0.0.1', port: 0, log: createLogger({ sink: () => undefined }) });
  });
  afterAll(() => gateway?.close());

  const colony = (...args: string[]): Promise<ColonyRun> => runColony(['workflow', ...args, '--url', gateway.url]);

  it('starts, sends an event, shows, waits for, lists and purges an instance', async () => {
    expect(await colony('start', 'order', 'c-1', '{"n":1}')).toMatchObject({ code: 0, stdout: 'started order/c-1 (running)\n' });
    expect((await colony('event', 'order/c-1', 'paid', '{"amount":3}')).stdout).toBe('sent the event "paid" to order/c-1 (running)\n');

    const shown = await colony('get', 'order/c-1');
    expect(shown.stdout).toMatch(/^order\/c-1 {2}running\n/);
    expect(shown.stdout).toContain('input    {"n":1}');
    expect(JSON.parse((await colony('get', 'order/c-1', '--json')).stdout)).toMatchObject({ id: 'c-1', status: 'running', output: null });

    const history = await colony('history', 'order/c-1');
    expect(history.stdout).toMatch(/^order\/c-1, run 1\n\(no steps yet\)\nevents:\n {2}\S+ \S+ {2}paid\n$/);

    const waiting = colony('get', 'order/c-1', '--wait', '20s');
    setTimeout(() => void standIns.get('order')?.update('c-1', { status: 'completed', output: { total: 3 } }), 500);
    const waited = await waiting;
    expect(waited.stdout).toMatch(/^order\/c-1 {2}completed\n/);
    expect(waited.stdout).toContain('output   {"total":3}');

    expect(await colony('start', 'order', '{"n":2}')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^started order\/[0-9a-f-]{36} \(running\)\n$/) });
    const list = await colony('list', 'order', '--limit', '1');
    expect(list.stdout).toMatch(/^ID\s+STATUS\s+CREATED\s+UPDATED\s+RUN\n\S+\s+running\s/);
    const more = /more: colony workflow list order --limit 1 --cursor (\S+)\n$/.exec(list.stdout);
    expect(more).not.toBeNull();
    expect((await colony('list', 'order', '--limit', '1', '--cursor', more?.[1] as string)).stdout).toMatch(/\nc-1\s+completed\s/);

    expect(await colony('purge', 'order/c-1')).toMatchObject({ code: 0, stdout: 'purged order/c-1 and its journal\n' });
    expect((await colony('get', 'order/c-1')).code).toBe(1);
  }, 30_000);

  it('says what the gateway refused (exit 1) and what was mistyped (exit 2, with the usage)', async () => {
    await colony('start', 'order', 'c-2');
    const purge = await colony('purge', 'order/c-2');
    expect(purge.code).toBe(1);
    expect(purge.stderr).toMatch(/^colony: DELETE \/v1\/workflows\/order\/c-2: 409 failed_precondition: .*terminate it/);
    expect((await colony('terminate', 'order/c-2', '--reason', 'test over')).stdout).toBe('terminated order/c-2 (terminated)\n');
    expect((await colony('get', 'order/c-2')).stdout).toContain('reason   test over');
    const unknown = await colony('get', 'nope/x');
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('404 not_found: there is no workflow named "nope"') });
    const typo = await colony('get', 'order');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('written <workflow>/<id>');
    expect(typo.stderr).toContain('colony workflow <command> [options]');
  }, 30_000);

  it('stops quietly, exit 0, when the reader of its output has gone (colony workflow history … | head)', async () => {
    await colony('start', 'order', 'c-3');
    const child = spawn(process.execPath, [COLONY_BIN, 'workflow', 'history', 'order/c-3', '--url', gateway.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader leaves before the first line is written
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  }, 30_000);
});
