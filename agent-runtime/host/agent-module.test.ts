import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHECK = fileURLToPath(new URL('./check.ts', import.meta.url));

// Node's own loader, in a child process as a pod loads its module (vitest would transform the module itself).
describe('importAgentDefinition names where agent code fails to load', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'colony-module-'));
    await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const failure = async (name: string, source: string): Promise<string> => {
    const file = join(dir, name);
    await writeFile(file, source);
    const failed = await promisify(execFile)(process.execPath, [CHECK, 'a', file]).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(failed?.code).toBe(1);
    return (failed as { stderr: string }).stderr;
  };

  it('a TypeScript syntax error: file, line, column, and the line with a caret', async () => {
    const message = await failure('typed.ts', 'const a: number = 1;\nexport const b = {\n  c: (a ;\n};\n');
    expect(message).toContain(`${join(dir, 'typed.ts')}:3:`);
    expect(message).toContain('  c: (a ;');
    expect(message).toMatch(/\n\s+\^/);
  });

  it('a JavaScript syntax error', async () => {
    const message = await failure('plain.js', 'export const x = {\n  y: 1,,\n};\n');
    expect(message).toContain(`${join(dir, 'plain.js')}:2:`);
  });

  it('an error thrown while the module runs: the frame in the module', async () => {
    const message = await failure('throws.ts', 'const config: Record<string, string> = {};\nif (!config.url) throw new Error("no url configured");\nexport const z = 1;\n');
    expect(message).toContain(`${join(dir, 'throws.ts')}:2:`);
    expect(message).toContain('no url configured');
  });
});
