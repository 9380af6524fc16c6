import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import { readmeSteps } from '../helpers/readme-steps.ts';
import type { ReadmeStep } from '../helpers/readme-steps.ts';
import { ENGINE_WARNING, greeterServed, invokeAsShown, NO_REGISTRY, REGISTRY_HINT, skipLoudly, startDevLine } from '../helpers/readme-user.ts';
import { runLine } from '../helpers/user-shell.ts';
import type { Foreground } from '../helpers/user-shell.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const SECTION = 'Write an agent';
const steps = readmeSteps(readFileSync(join(REPO, 'README.md'), 'utf8'), SECTION);

/**
 * The README's "Write an agent", followed literally in an empty folder as a user would in a
 * terminal (the machine's node and npm, not the bundled Node 24): every command runs as it
 * is written, every file is written as it is shown, Colony is installed by path from this
 * checkout, and `colony invoke` must print what the README shows.
 */
describe(`the README's "${SECTION}", followed in an empty folder`, () => {
  let project: string;
  let dev: Foreground | undefined;
  let gatewayUrl: string | undefined;
  let failed: string | undefined;
  let noRegistry: string | undefined;
  const skipped = new Set<ReadmeStep>();

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'colony-readme-'));
  });

  afterAll(async () => {
    try {
      const leftovers = dev ? await dev.interrupt() : [];
      expect(leftovers, `processes still running after Ctrl-C:\n${dev?.output()}`).toEqual([]);
      if (dev) expect(dev.output()).toContain('colony dev: stopped');
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  }, 60_000);

  it('gives every step: install by path, a tsconfig, the agent, tsc, colony dev, calls and their output', () => {
    const lines = steps.flatMap((step) => (step.kind === 'command' ? [step.line] : []));
    const files = steps.flatMap((step) => (step.kind === 'file' ? [step.path] : []));
    expect(lines).toContain('npm install /path/to/colony');
    expect(lines).toContain('npx tsc');
    expect(files).toEqual(expect.arrayContaining(['tsconfig.json', 'greeter/greeter.ts', 'greeter/agent.yaml']));
    expect(lines.filter((line) => line.startsWith('npx colony dev '))).toHaveLength(1);
    const calls = steps.filter((step) => step.kind === 'command' && step.line.startsWith('npx colony invoke '));
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call.kind === 'command' && call.expected, `${JSON.stringify(call)} shows no output`).toBeTruthy();
  });

  for (const step of steps) {
    it(step.kind === 'file' ? `writes ${step.path}` : step.line, async (ctx) => {
      if (failed) throw new Error(`not run: the step "${failed}" failed`);
      try {
        await follow(step, ctx);
      } catch (error) {
        if (!skipped.has(step)) failed = step.kind === 'file' ? step.path : step.line;
        throw error;
      }
    }, 180_000);
  }

  async function follow(step: ReadmeStep, ctx: TestContext): Promise<void> {
    if (step.kind === 'file') {
      await mkdir(dirname(join(project, step.path)), { recursive: true });
      await writeFile(join(project, step.path), step.text);
      return;
    }
    const { line, expected } = step;
    if (line.startsWith('npx colony dev ')) return startDev(line);
    if (line.startsWith('npx colony invoke ')) return invokeAsShown(line, expected, gatewayUrl, project);
    if (line === 'npx tsc' && noRegistry) {
      skipped.add(step);
      skipLoudly(ctx, 'readme-project', `not run: \`${noRegistry}\` failed for want of the npm registry; ${REGISTRY_HINT}`);
    }
    const ran = await runLine(line.replaceAll('/path/to/colony', REPO), project);
    if (ran.code !== 0 && /^npm install\b/.test(line) && !line.includes('/path/to/colony') && NO_REGISTRY.test(ran.output)) {
      noRegistry = line;
      skipped.add(step);
      skipLoudly(ctx, 'readme-project', `could not run \`${line}\`: ${REGISTRY_HINT}\n${ran.output}`);
    }
    expect(ran.code, ran.output).toBe(0);
    expect(ran.output).not.toMatch(ENGINE_WARNING);
    if (line === 'npx tsc') expect(ran.output.trim(), 'the README says tsc prints nothing').toBe('');
  }

  async function startDev(line: string): Promise<void> {
    dev = startDevLine(line, project);
    gatewayUrl = await greeterServed(dev);
  }
});
