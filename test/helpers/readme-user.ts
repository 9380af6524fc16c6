import { expect } from 'vitest';
import type { TestContext } from 'vitest';
import { runLine, startForeground } from './user-shell.ts';
import type { Foreground } from './user-shell.ts';

// What the tests that follow the README in an empty folder share (test/e2e/readme-project.test.ts,
// test/e2e/package.test.ts): npm's complaints, and the README's greeter run and called.

/** npm's warning that a package wants a newer Node than the one running npm. */
export const ENGINE_WARNING = /EBADENGINE|Unsupported engine/i;
/** npm's failures for want of the registry (offline, and its cache does not hold the package). */
export const NO_REGISTRY = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|ENOTCACHED)\b|npm error network/;
export const REGISTRY_HINT =
  'it needs the npm registry, or npm\'s cache holding what the README installs from it (run `npm install -D typescript @types/node@24` once in any folder with network access)';

/** A step that cannot run here: said on stderr and in the report, never silently. */
export function skipLoudly(ctx: TestContext, suite: string, note: string): never {
  process.stderr.write(`\n[${suite}] SKIPPED ${note}\n\n`);
  return ctx.skip(note);
}

/** The README's `npx colony dev greeter/` line, started in `cwd` as a terminal's foreground job, on a free port. */
export function startDevLine(line: string, cwd: string): Foreground {
  expect(line, 'the colony dev line is run as plain words').toMatch(/^[\w./ -]+$/);
  return startForeground([...line.split(/\s+/), '--port', '0'], cwd);
}

/** Waits until `colony dev` serves the README's greeter; returns the gateway's URL. */
export async function greeterServed(dev: Foreground): Promise<string> {
  const gateway = await dev.waitFor(/gateway {2}http:\/\/\S+/, 90_000);
  const output = dev.output();
  expect(output).toContain('Colony is ready');
  expect(output).toMatch(/greeter +1\/1 pod .*methods: greet, introduce/);
  expect(output).not.toMatch(ENGINE_WARNING);
  return gateway.split(/\s+/)[1] ?? '';
}

/** Runs a README `npx colony invoke` line against `gatewayUrl`: it must print what the README shows under it. */
export async function invokeAsShown(line: string, expected: string | undefined, gatewayUrl: string | undefined, cwd: string): Promise<void> {
  if (!gatewayUrl) throw new Error('colony dev is not running');
  const ran = await runLine(`${line} --url ${gatewayUrl}`, cwd);
  expect(ran.code, ran.output).toBe(0);
  expect(ran.stdout.trim()).toBe(expected);
  expect(ran.output).not.toMatch(ENGINE_WARNING);
}
