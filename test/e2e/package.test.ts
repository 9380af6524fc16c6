import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import { descendants } from '../helpers/processes.ts';
import { readmeSteps } from '../helpers/readme-steps.ts';
import type { ReadmeStep } from '../helpers/readme-steps.ts';
import { ENGINE_WARNING, greeterServed, invokeAsShown, NO_REGISTRY, REGISTRY_HINT, skipLoudly, startDevLine } from '../helpers/readme-user.ts';
import { runLine } from '../helpers/user-shell.ts';
import type { Foreground } from '../helpers/user-shell.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const SECTION = 'Install in your own project';
const steps = readmeSteps(README, SECTION);
/** The agent the section has you write: the greeter of "Write an agent". */
const agentFiles = readmeSteps(README, 'Write an agent').flatMap((step) => (step.kind === 'file' && step.path.startsWith('greeter/') ? [step] : []));
const { name, version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { name: string; version: string };
/** What `npm pack` writes, and what the README installs from `/path/to/`. */
const TARBALL = `${name}-${version}.tgz`;
const SUITE = 'package';
const NPM_TIMEOUT_MS = 300_000;

/**
 * The README's "Install in your own project", followed literally: `npm pack` in a copy of this
 * checkout (what git tracks or would, as a fresh clone has it, with its node_modules linked; the
 * build's dist/ never lands in the checkout the tests run from), then, in an empty folder as a
 * user's terminal would (the machine's node and npm), the tarball installed, `tsc --init`'s
 * tsconfig, the README's greeter type-checked against the packed `.d.ts`, run by the packed
 * `colony dev` from compiled JavaScript, called, and stopped with Ctrl-C.
 */
describe(`the README's "${SECTION}": npm pack, installed in an empty folder`, () => {
  let work: string;
  let checkout: string;
  let project: string;
  let dev: Foreground | undefined;
  let stopped = false;
  let gatewayUrl: string | undefined;
  let failed: string | undefined;
  let noRegistry: string | undefined;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'colony-package-'));
    checkout = join(work, 'colony');
    project = join(work, 'project');
    await copyCheckout(REPO, checkout);
    await mkdir(project);
  }, 120_000);

  afterAll(async () => {
    try {
      if (dev && !stopped) await dev.interrupt();
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 60_000);

  it('gives every step: npm pack, the tarball installed, tsc --init, tsc --noEmit, colony dev, a call', () => {
    const lines = steps.flatMap((step) => (step.kind === 'command' ? [step.line] : []));
    expect(lines[0]).toBe('npm pack');
    expect(lines, `the README installs the tarball of this version, ${TARBALL}`).toContain(`npm install /path/to/${TARBALL}`);
    expect(lines).toEqual(expect.arrayContaining(['npx tsc --init', 'npx tsc --noEmit']));
    expect(lines.filter((line) => line.startsWith('npx colony dev '))).toHaveLength(1);
    const calls = steps.filter((step) => step.kind === 'command' && step.line.startsWith('npx colony invoke '));
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call.kind === 'command' && call.expected, `${JSON.stringify(call)} shows no output`).toBeTruthy();
    expect(agentFiles.map((file) => file.path).sort()).toEqual(['greeter/agent.yaml', 'greeter/greeter.ts']);
  });

  for (const step of steps) {
    if (step.kind !== 'command') throw new Error(`"${SECTION}" has a file block (${step.path}); the test follows only commands there`);
    it(step.line, async (ctx) => {
      ready(ctx);
      try {
        await follow(step, ctx);
      } catch (error) {
        if (!noRegistry) failed ??= step.line;
        throw error;
      }
    }, NPM_TIMEOUT_MS);
  }

  it('answers over HTTP, from pods that run the compiled runtime of the installed package', async (ctx) => {
    ready(ctx);
    const response = await fetch(`${gatewayUrl}/v1/agents/greeter/ann/introduce`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bob', to: 'world' }),
    });
    expect(await response.json()).toEqual({ message: 'hello Bob, from world, introduced by ann' });
    const pods = descendants(dev?.process.pid ?? 0).filter((p) => p.args.includes('/host/main.'));
    expect(pods.length, dev?.output()).toBeGreaterThan(0);
    // Node and the entry alone: no --conditions=colony-source, which only Colony's sources ask for.
    for (const pod of pods) expect(pod.args.split(' ').slice(1)).toEqual([join(project, 'node_modules/colony/dist/agent-runtime/host/main.js')]);
  });

  it('type-checks against real types: a misspelt state field fails tsc', async (ctx) => {
    ready(ctx);
    await mkdir(join(project, 'typo'));
    await writeFile(
      join(project, 'typo/typo.ts'),
      "import { defineAgent } from 'colony';\n\nexport const typo = defineAgent({\n  state: () => ({ count: 0 }),\n  methods: {\n    add(ctx, input: { by: number }) {\n      ctx.state.count += input.by;\n      return ctx.state.cuont;\n    },\n  },\n});\n",
    );
    try {
      const ran = await runLine('npx tsc --noEmit --pretty false', project);
      expect(ran.code).not.toBe(0);
      expect(ran.output).toContain("typo/typo.ts(8,24): error TS2551: Property 'cuont' does not exist on type '{ count: number; }'.");
    } finally {
      await rm(join(project, 'typo'), { recursive: true, force: true });
    }
  }, 60_000);

  it('stops on Ctrl-C, leaving nothing running', async (ctx) => {
    ready(ctx);
    if (!dev) throw new Error('colony dev is not running');
    stopped = true;
    const leftovers = await dev.interrupt();
    expect(leftovers, `processes still running after Ctrl-C:\n${dev.output()}`).toEqual([]);
    expect(dev.output()).toContain('colony dev: stopped');
  }, 60_000);

  it('colony init from the installed package: the new project depends on it and passes npm test on its compiled code', async (ctx) => {
    ready(ctx);
    const made = await runLine('npx colony init made', project);
    expect(made.code, made.output).toBe(0);
    const fresh = join(project, 'made');
    const pkg = JSON.parse(await readFile(join(fresh, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; scripts: Record<string, string> };
    expect(pkg.dependencies.colony).toBe(`file:${join(project, 'node_modules/colony')}`);
    // Compiled, Colony needs no condition: `colony` is dist's JavaScript.
    expect(pkg.scripts.test).toBe('tsc --noEmit && node --test');
    const install = await runLine('npm install', fresh, NPM_TIMEOUT_MS);
    expect(install.code, install.output).toBe(0);
    const test = await runLine('npm test', fresh, NPM_TIMEOUT_MS);
    expect(test.code, test.output).toBe(0);
    expect(test.output).toMatch(/ℹ pass 2/);
  }, 240_000);

  /** Whether the steps so far ran: a step after a failed one fails, after a missing registry it is skipped. */
  function ready(ctx: TestContext): void {
    if (noRegistry) skipLoudly(ctx, SUITE, `not run: \`${noRegistry}\` failed for want of the npm registry; ${REGISTRY_HINT}`);
    if (failed) throw new Error(`not run: the step "${failed}" failed`);
  }

  async function follow(step: Extract<ReadmeStep, { kind: 'command' }>, ctx: TestContext): Promise<void> {
    const { line, expected } = step;
    if (line === 'npm pack') return pack();
    if (line.startsWith('npx colony dev ')) return startDev(line);
    if (line.startsWith('npx colony invoke ')) return invokeAsShown(line, expected, gatewayUrl, project);
    if (line === 'npx tsc --noEmit') for (const file of agentFiles) await writeFileIn(project, file.path, file.text);
    const started = Date.now();
    const ran = await runLine(line.replaceAll(`/path/to/${TARBALL}`, join(checkout, TARBALL)), project, NPM_TIMEOUT_MS);
    if (/^npm install\b/.test(line)) process.stderr.write(`[${SUITE}] ${line}: ${seconds(started)}\n`);
    if (ran.code !== 0 && /^npm install\b/.test(line) && NO_REGISTRY.test(ran.output)) {
      noRegistry = line;
      skipLoudly(ctx, SUITE, `could not run \`${line}\`: ${REGISTRY_HINT}\n${ran.output}`);
    }
    expect(ran.code, ran.output).toBe(0);
    // On a Node older than 22, npm warns about dependencies of Colony's that want a newer one: they run on
    // Colony's Node 24. What runs on the user's Node (Colony's launcher, tsc) must not be among them.
    const warned = engineWarnings(ran.output);
    if (ENGINE_WARNING.test(ran.output)) expect(warned.length, `npm's engine warnings name no package:\n${ran.output}`).toBeGreaterThan(0);
    expect(warned.filter((pkg) => [name, 'typescript', '@types/node'].includes(pkg))).toEqual([]);
    if (line === 'npx tsc --noEmit') expect(ran.output.trim(), 'the README says tsc prints nothing').toBe('');
  }

  /** `npm pack` in the checkout: builds dist/ (prepack) and writes the tarball, which holds the compiled JavaScript and its types, no sources or tests. */
  async function pack(): Promise<void> {
    const started = Date.now();
    const ran = await runLine('npm pack', checkout, NPM_TIMEOUT_MS);
    process.stderr.write(`[${SUITE}] npm pack (the build included): ${seconds(started)}\n`);
    expect(ran.code, ran.output).toBe(0);
    expect(ran.stdout.trim().split('\n').at(-1)).toBe(TARBALL);
    const entries = execFileSync('tar', ['-tzf', join(checkout, TARBALL)], { encoding: 'utf8' }).trim().split('\n');
    expect(entries).toEqual(
      expect.arrayContaining([
        'package/package.json',
        'package/README.md',
        'package/cli/colony.js',
        'package/dist/cli/colony.js',
        'package/dist/agent-runtime/sdk/index.js',
        'package/dist/agent-runtime/sdk/index.d.ts',
        'package/dist/agent-runtime/host/main.js',
        'package/dist/agent-runtime/host/check.js',
        'package/dist/agent-runtime/host/watchdog/worker.js',
        'package/dist/cli/dev/keeper.js',
        // The dashboard's files, served as they are (not compiled): copied by the build.
        'package/dist/gateway/dashboard/assets/main.js',
        'package/dist/gateway/dashboard/assets/dashboard.css',
      ]),
    );
    expect(entries.filter((entry) => /\.test\.|^package\/(test|examples|bench|scripts)\/|(?<!\.d)\.ts$/.test(entry))).toEqual([]);
  }

  async function startDev(line: string): Promise<void> {
    dev = startDevLine(line, project);
    gatewayUrl = await greeterServed(dev);
  }
});

/**
 * Copies what a fresh clone of the checkout `from` holds — the files git tracks, and those it
 * does not ignore (a change not committed yet) — to `to`, and links its node_modules there.
 */
async function copyCheckout(from: string, to: string): Promise<void> {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: from, encoding: 'utf8' });
  const files = listed.split('\0').filter((file) => file !== '' && file !== 'node_modules' && existsSync(join(from, file)));
  for (const file of files) {
    await mkdir(dirname(join(to, file)), { recursive: true });
    await cp(join(from, file), join(to, file));
  }
  await symlink(realpathSync(join(from, 'node_modules')), join(to, 'node_modules'));
}

async function writeFileIn(root: string, path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

/** The packages npm warns want a newer Node than the one running it (EBADENGINE). */
function engineWarnings(output: string): string[] {
  return [...output.matchAll(/EBADENGINE +package: '(@?[^@']+)@/g)].map((match) => match[1] ?? '');
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
