import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureNatsServer, startNatsServer } from '../../cli/tools/nats-server.ts';
import type { RunningNatsServer } from '../../cli/tools/nats-server.ts';
import { EXAMPLES_DIR, FIXTURES_DIR, startColonyDev } from '../helpers/colony-dev.ts';
import type { ColonyDev, ColonyDevOptions } from '../helpers/colony-dev.ts';
import { allProcesses, descendants, killSurvivors, processInfo, stillRunning, waitGone } from '../helpers/processes.ts';
import type { ProcessInfo } from '../helpers/processes.ts';

/** A node too old for Colony's TypeScript: the bin re-runs itself on Node 24 (the path of `npx colony` on such a machine). */
const OLD_NODE = '/usr/bin/node';
const oldNodeVersion = existsSync(OLD_NODE) ? execFileSync(OLD_NODE, ['--version'], { encoding: 'utf8' }).trim() : '';
const [oldMajor = 99, oldMinor = 0] = oldNodeVersion.slice(1).split('.').map(Number);
const hasOldNode = oldMajor < 22 || (oldMajor === 22 && oldMinor < 18);

const isNats = (p: ProcessInfo): boolean => p.args.includes('nats-server');
const isPod = (p: ProcessInfo): boolean => p.args.includes('agent-runtime/host/main.ts');
const podsStopped = (output: string): number => output.match(/ INF stopped drainMs=/g)?.length ?? 0;

/** Every process a test started (and every server it ran by hand), killed after it if still running, pass or fail. */
const started: ProcessInfo[] = [];
const servers: RunningNatsServer[] = [];
const dataDirs: string[] = [];

afterEach(async () => {
  killSurvivors(started.splice(0));
  await Promise.all(servers.splice(0).map((server) => server.kill()));
  await Promise.all(dataDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Two of the examples: three pods (account has two), nats-server beside them. */
const EXAMPLES = ['counter', 'account'].map((name) => join(EXAMPLES_DIR, name));

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'colony-signals-'));
  dataDirs.push(dir);
  return dir;
}

/** `colony dev` (by default with two examples: nats-server and three pods) on `dir`; returns it and its process tree, launcher first. */
async function start(dir: string, options: ColonyDevOptions = {}, pods = 3): Promise<{ dev: ColonyDev; tree: ProcessInfo[] }> {
  const dev = await startColonyDev({ dirs: EXAMPLES, dataDir: dir, ...options });
  const launcher = processInfo(dev.process.pid as number);
  const tree = [...(launcher ? [launcher] : []), ...descendants(dev.process.pid as number)];
  started.push(...tree);
  expect(tree.filter(isNats)).toHaveLength(1);
  expect(tree.filter(isPod)).toHaveLength(pods);
  return { dev, tree };
}

/** Starts `colony dev` on `dir`, which should refuse: resolves with what it printed (or, if it started, says so). */
async function refusal(dir: string): Promise<string> {
  return startColonyDev({ dirs: EXAMPLES, dataDir: dir }).then(
    async (dev) => {
      started.push(...[processInfo(dev.process.pid as number) ?? []].flat(), ...descendants(dev.process.pid as number));
      await dev.stop();
      return `it started:\n${dev.output()}`;
    },
    (error: Error) => error.message,
  );
}

/** nats-servers of this machine whose store is `storeDir`. */
const natsServersOn = (storeDir: string): ProcessInfo[] => allProcesses().filter((p) => isNats(p) && p.args.includes(`-sd ${storeDir}`));

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

  it('leaves no nats-server and no pod running when it is killed with SIGKILL', { timeout: 120_000 }, async () => {
    const { dev, tree } = await start(await dataDir());
    dev.process.kill('SIGKILL');
    const ms = await waitGone(tree, 15_000);
    process.stderr.write(`[colony-dev-signals] kill -9 of colony dev: its ${tree.length - 1} processes gone after ${ms} ms\n`);
  });

  it.skipIf(!hasOldNode)(`leaves nothing running when the bin, re-run on Node 24 from ${OLD_NODE} ${oldNodeVersion}, is killed with SIGKILL`, { timeout: 120_000 }, async () => {
    const { dev, tree } = await start(await dataDir(), { node: OLD_NODE });
    expect(tree.filter((p) => p.args.includes('cli/colony.ts'))).toHaveLength(1);
    dev.process.kill('SIGKILL');
    const ms = await waitGone(tree, 15_000);
    process.stderr.write(`[colony-dev-signals] kill -9 of the re-running bin: its ${tree.length - 1} processes gone after ${ms} ms\n`);
  });

  it('leaves no pod running when colony dev, its helpers and nats-server are all killed at once', { timeout: 120_000 }, async () => {
    const { dev, tree } = await start(await dataDir(), { dirs: [...EXAMPLES, join(FIXTURES_DIR, 'faulty')] }, 4);
    for (const key of ['a', 'b', 'c']) {
      expect((await dev.call('counter', key, 'increment', { by: 1 })).status).toBe(200);
      expect((await dev.call('account', key, 'deposit', { amount: 5 })).status).toBe(200);
    }
    // A turn that never ends keeps its pod's drain waiting (up to faulty's drainTimeout, 10 s).
    const hanging = dev.call('faulty', 'k', 'hang', undefined, { 'x-colony-timeout': '60s' }).catch(() => undefined);
    const inflight = async (): Promise<number> => {
      const status = (await (await fetch(`${dev.url}/v1/agents/faulty/status`)).json()) as { pods: { load?: { inflight: number } }[] };
      return status.pods[0]?.load?.inflight ?? 0;
    };
    await expect.poll(inflight, { timeout: 15_000 }).toBe(1);
    // Pods find themselves alone, with active instances and no NATS to persist them through: they must still exit, and soon.
    for (const process of tree.filter((p) => !isPod(p))) globalThis.process.kill(process.pid, 'SIGKILL');
    const ms = await waitGone(tree, 15_000);
    expect(await dev.exited).toBe(null);
    await hanging;
    globalThis.process.stderr.write(`[colony-dev-signals] everything but the pods killed: the pods gone after ${ms} ms\n`);
  });

  it('stops the leftovers of a colony dev killed on the same data dir, saying so, and the state is still there', { timeout: 180_000 }, async () => {
    const dir = await dataDir();
    const first = await start(dir);
    expect(await (await first.dev.call('counter', 'alice', 'increment', { by: 2 })).json()).toEqual({ count: 2 });
    const nats = first.tree.find(isNats) as ProcessInfo;
    // What is left when nothing of a launcher could clean up: it and every helper it started are
    // killed at once (kill -9 of all of them, the OOM killer), its nats-server and pods are not.
    for (const process of first.tree.filter((p) => !isNats(p) && !isPod(p))) globalThis.process.kill(process.pid, 'SIGKILL');
    expect(await first.dev.exited).toBe(null);

    const second = await start(dir);
    expect(second.dev.output()).toMatch(new RegExp(`left running.*nats-server \\(pid ${nats.pid}\\)`));
    await waitGone(first.tree, 1_000);
    expect(natsServersOn(join(dir, 'nats')).map((p) => p.pid)).toEqual(second.tree.filter(isNats).map((p) => p.pid));
    expect(await (await second.dev.call('counter', 'alice', 'get')).json()).toEqual({ count: 2 });
    // While it runs, the data dir is its own.
    expect(await refusal(dir)).toContain(`another colony dev (pid ${second.dev.process.pid}) is using the data dir ${dir}`);
    expect(await second.dev.stop()).toBe(0);
  });

  it('refuses to start while a nats-server it did not start uses its store, naming it and saying what to do', { timeout: 120_000 }, async () => {
    const dir = await dataDir();
    const server = await startNatsServer({ binary: await ensureNatsServer({ allowPath: false }), storeDir: join(dir, 'nats') });
    servers.push(server);
    const pid = server.process.pid as number;
    const before = processInfo(pid) as ProcessInfo;
    const outcome = await refusal(dir);
    expect(outcome).toMatch(/exited \(code [12]\)/);
    expect(outcome).toContain(`nats-server (pid ${pid})`);
    expect(outcome).toContain(`stop it (kill ${pid})`);
    expect(stillRunning(before)).toBe(true);
  });
});
