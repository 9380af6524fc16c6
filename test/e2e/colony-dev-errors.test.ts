import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLONY_BIN, EXAMPLES_DIR } from '../helpers/colony-dev.ts';

const run = promisify(execFile);
const BROKEN = fileURLToPath(new URL('../fixtures/broken', import.meta.url));

/** Runs `colony <args>` and returns its exit code and output; it must finish on its own. */
async function colony(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [COLONY_BIN, ...args], { timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('colony dev refuses what cannot run, saying what and where', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'colony-errors-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('names the file and the field of an invalid manifest', async () => {
    const { code, output } = await colony(['dev', join(BROKEN, 'invalid-spec'), '--port', '0', '--data-dir', dataDir]);
    expect(code).toBe(1);
    expect(output).toContain('invalid-spec/agent.yaml');
    expect(output).toContain('field "spec.scaling.minReplicas" must be >= 0');
  });

  it('explains an ESM agent in a CommonJS package before starting anything', async () => {
    const { code, output } = await colony(['dev', join(BROKEN, 'cjs'), '--port', '0', '--data-dir', dataDir]);
    expect(code).toBe(1);
    expect(output).toContain('cjs (');
    expect(output).toContain('set "type": "module"');
    expect(output).not.toContain('Colony is ready');
  });

  it('names the file, line and column of a syntax error in agent code', async () => {
    const { code, output } = await colony(['dev', join(BROKEN, 'syntax-error'), '--port', '0', '--data-dir', dataDir]);
    expect(code).toBe(1);
    expect(output).toMatch(/syntax-error\/oops\.ts:8:31/);
    expect(output).toContain("Expected ',', got ';'");
    expect(output).toContain("return { hello: 'world' ;");
    expect(output).not.toContain('Colony is ready');
  });

  it('says when a module exports no agent definition', async () => {
    const { code, output } = await colony(['dev', join(BROKEN, 'no-definition'), '--port', '0', '--data-dir', dataDir]);
    expect(code).toBe(1);
    expect(output).toContain('exports no agent definition');
  });

  it('refuses a folder that does not exist, and a folder with no Agents', async () => {
    const missing = await colony(['dev', join(BROKEN, 'nope'), '--data-dir', dataDir]);
    expect(missing.code).toBe(2);
    expect(missing.output).toContain('is not a folder');
    const empty = await colony(['dev', dataDir, '--data-dir', dataDir]);
    expect(empty.code).toBe(2);
    expect(empty.output).toContain('no Agent manifests');
  });

  it('refuses a --data-dir that is a file', async () => {
    const file = join(dataDir, 'a-file');
    await writeFile(file, 'not a folder');
    const { code, output } = await colony(['dev', EXAMPLES_DIR, '--port', '0', '--data-dir', file]);
    expect(code).toBe(2);
    expect(output).toContain(`--data-dir ${file} is not a folder`);
  });

  it('says which port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { code, output } = await colony(['dev', EXAMPLES_DIR, '--port', String(port), '--data-dir', dataDir]);
      expect(code).toBe(1);
      expect(output).toContain(String(port));
      expect(output).toMatch(/in use|EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });

  it('rejects unknown commands and bad invoke arguments with usage', async () => {
    const unknown = await colony(['deploy']);
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain('unknown command "deploy"');
    const badAddress = await colony(['invoke', 'counter', 'get']);
    expect(badAddress.code).toBe(2);
    expect(badAddress.output).toContain('write <agent>/<key>');
    const badJson = await colony(['invoke', 'counter/a', 'increment', '{by:2}']);
    expect(badJson.code).toBe(2);
    expect(badJson.output).toContain('not valid JSON');
  });

  it('says the gateway is unreachable when colony dev is not running', async () => {
    const { code, output } = await colony(['invoke', 'counter/a', 'get', '--url', 'http://127.0.0.1:1']);
    expect(code).toBe(1);
    expect(output).toContain('could not reach the gateway');
  });
});
