import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import { COLONY_BIN } from '../helpers/colony-dev.ts';
import { NO_REGISTRY, REGISTRY_HINT, skipLoudly } from '../helpers/readme-user.ts';
import { runLine, startForeground } from '../helpers/user-shell.ts';
import type { Foreground } from '../helpers/user-shell.ts';

const SUITE = 'init';

/**
 * `colony init` as a new user runs it, in a terminal with the machine's node and npm: a new
 * project that passes `npm test` at once and runs with `npm start`.
 */
describe('colony init makes a project that passes npm test at once and runs with npm start', () => {
  let parent: string;
  let project: string;
  let installed: string | undefined;
  let dev: Foreground | undefined;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'colony-init-'));
    project = join(parent, 'my-agents');
  });

  afterAll(async () => {
    if (dev) expect(await dev.interrupt()).toEqual([]);
    await rm(parent, { recursive: true, force: true });
  });

  const needsInstall = (ctx: TestContext): void => {
    if (installed !== undefined) skipLoudly(ctx, SUITE, `npm install failed in the new project: ${installed}`);
  };

  it('writes package.json, tsconfig.json, an agent, its manifest and its tests, and says what to do next', async () => {
    const ran = await runLine(`node ${COLONY_BIN} init my-agents`, parent);
    expect(ran.code, ran.output).toBe(0);
    expect(ran.stdout).toContain('colony init: a new project in my-agents');
    expect(ran.stdout).toMatch(/cd my-agents\n {2}npm install\n {2}npm test/);
    for (const file of ['package.json', 'tsconfig.json', '.gitignore', 'README.md', 'agents/greeter/greeter.ts', 'agents/greeter/agent.yaml', 'agents/greeter/greeter.test.ts']) {
      expect(existsSync(join(project, file)), file).toBe(true);
    }
    const pkg = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { name: string; type: string; dependencies: Record<string, string> };
    expect(pkg).toMatchObject({ name: 'my-agents', type: 'module' });
    expect(pkg.dependencies.colony).toMatch(/^file:\//);
  });

  it('refuses to write over a file that exists, naming it, and changes nothing', async () => {
    const taken = await mkdtemp(join(parent, 'taken-'));
    await writeFile(join(taken, 'package.json'), '{"name":"mine"}\n');
    const ran = await runLine(`node ${COLONY_BIN} init .`, taken);
    expect(ran.code).toBe(1);
    expect(ran.output).toMatch(/already has package\.json; colony init writes no file that exists/);
    expect(await readFile(join(taken, 'package.json'), 'utf8')).toBe('{"name":"mine"}\n');
    expect(existsSync(join(taken, 'agents'))).toBe(false);
  });

  it('npm install, then npm test: the type check and the greeter\'s tests pass', { timeout: 240_000 }, async (ctx) => {
    const install = await runLine('npm install', project, 180_000);
    if (install.code !== 0 && NO_REGISTRY.test(install.output)) {
      installed = install.output.slice(-300);
      skipLoudly(ctx, SUITE, `npm install in the new project could not reach the registry: ${REGISTRY_HINT}`);
    }
    expect(install.code, install.output).toBe(0);
    const test = await runLine('npm test', project, 120_000);
    expect(test.code, test.output).toBe(0);
    expect(test.output).toMatch(/# pass 2|ℹ pass 2/);
    expect(test.output).toMatch(/# fail 0|ℹ fail 0/);
  });

  it('npm start runs the platform with the greeter, which answers a call', { timeout: 120_000 }, async (ctx) => {
    needsInstall(ctx);
    dev = startForeground(['npm', 'start', '--', '--port', '0'], project);
    const gateway = (await dev.waitFor(/gateway {2}http:\/\/\S+/, 90_000)).split(/\s+/)[1] as string;
    expect(dev.output()).toMatch(/greeter +1\/1 pod .*methods: greet, greeted/);
    const invoke = await runLine(`npx colony invoke greeter/world greet '{"name":"Ada"}' --url ${gateway}`, project);
    expect(invoke.code, invoke.output).toBe(0);
    expect(JSON.parse(invoke.stdout)).toEqual({ message: 'hello Ada, from world' });
    expect(await dev.interrupt()).toEqual([]);
    dev = undefined;
  });
});
