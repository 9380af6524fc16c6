#!/usr/bin/env node
// The `colony` executable. Colony is TypeScript run by Node's type stripping
// (Node 22.18+). When the `node` running this is older, re-run the command on
// the Node 24 binary that Colony depends on (the `node` npm package).
import { spawn } from 'node:child_process';
import module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// V8's compile cache (Node 22.1+) makes every later start of colony and of its pods faster.
process.env.NODE_COMPILE_CACHE ??= join(
  process.env.COLONY_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'colony'),
  'node-compile-cache',
);
module.enableCompileCache?.(process.env.NODE_COMPILE_CACHE);

const entry = fileURLToPath(new URL('./colony.ts', import.meta.url));
const [major, minor] = process.versions.node.split('.').map(Number);
const stripsTypes = major > 22 || (major === 22 && minor >= 18);

if (stripsTypes) {
  await import(entry);
} else {
  let node;
  try {
    node = createRequire(import.meta.url).resolve('node/bin/node');
  } catch {
    process.stderr.write(
      `colony: Node ${process.versions.node} cannot run Colony (it needs Node 22.18 or newer), and the bundled Node 24 is missing; run npm install, or install Node 24\n`,
    );
    process.exit(1);
  }
  // Its own process group: a terminal's Ctrl-C reaches only this launcher, which forwards it once.
  const child = spawn(node, [entry, ...process.argv.slice(2)], { stdio: 'inherit', detached: true });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  process.on('exit', () => child.exitCode === null && child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}
