import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXAMPLES_DIR, startColonyDev } from '../helpers/colony-dev.ts';
import type { ColonyDev, ColonyDevOptions } from '../helpers/colony-dev.ts';
import { descendants, killSurvivors, processInfo, waitGone } from '../helpers/processes.ts';
import type { ProcessInfo } from '../helpers/processes.ts';

const isNats = (p: ProcessInfo): boolean => p.args.includes('nats-server');
const isPod = (p: ProcessInfo): boolean => p.args.includes('agent-runtime/host/main.ts');
const podsStopped = (output: string): number => output.match(/ INF stopped drainMs=/g)?.length ?? 0;

/** Every process a test started, killed after it if still running, pass or fail. */
const started: ProcessInfo[] = [];
const dataDirs: string[] = [];

afterEach(async () => {
  killSurvivors(started.splice(0));
  await Promise.all(dataDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'colony-signals-'));
  dataDirs.push(dir);
  return dir;
}

/** `colony dev` (by default with the examples: nats-server and three pods) on `dir`; returns it and its process tree, launcher first. */
async function start(dir: string, options: ColonyDevOptions = {}, pods = 3): Promise<{ dev: ColonyDev; tree: ProcessInfo[] }> {
  const dev = await startColonyDev({ dirs: [EXAMPLES_DIR], dataDir: dir, ...options });
  const launcher = processInfo(dev.process.pid as number);
  const tree = [...(launcher ? [launcher] : []), ...descendants(dev.process.pid as number)];
  started.push(...tree);
  expect(tree.filter(isNats)).toHaveLength(1);
  expect(tree.filter(isPod)).toHaveLength(pods);
  return { dev, tree };
}

describe('colony dev stops what it started, however it is stopped', () => {
  it('drains the pods and stops nats-server on SIGHUP (a closed terminal), as on Ctrl-C', { timeout: 120_000 }, async () => {
    const { dev, tree } = await start(await dataDir());
    dev.process.kill('SIGHUP');
    expect(await dev.exited).toBe(0);
    expect(dev.output()).toContain('colony dev: stopped');
    expect(podsStopped(dev.output())).toBe(3);
    await waitGone(tree, 1_000);
  });

  it('still drains and stops everything on SIGHUP when its output goes nowhere (the terminal is gone)', { timeout: 120_000 }, async () => {
    const { dev, tree } = await start(await dataDir());
    dev.process.stdout?.destroy();
    dev.process.stderr?.destroy();
    dev.process.kill('SIGHUP');
    expect(await dev.exited).toBe(0);
    await waitGone(tree, 1_000);
  });
});
