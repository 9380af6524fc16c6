#!/usr/bin/env node
// The `colony` executable. Colony is TypeScript run by Node 24's type stripping, or compiled.
// When the `node` running this is older (a user's Node 20 or 22 running
// `npx colony`), re-run the command on the Node 24 binary that Colony depends on
// (the `node` npm package): Colony is not tested on an older Node.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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

// The repository (or a checkout installed by path) runs the TypeScript sources; a package installed
// from `npm pack`'s tarball holds no sources but their JavaScript, compiled into dist/ (decision 23).
const source = fileURLToPath(new URL('./colony.ts', import.meta.url));
const entry = existsSync(source) ? source : fileURLToPath(new URL('../dist/cli/colony.js', import.meta.url));
const major = Number(process.versions.node.split('.')[0]);

if (major >= 24) {
  await import(entry);
} else {
  let node;
  try {
    node = createRequire(import.meta.url).resolve('node/bin/node');
  } catch {
    process.stderr.write(
      `colony: Colony runs on Node 24; this is Node ${process.versions.node}, and the Node 24 that Colony installs (the npm package \`node\`) is missing: run npm install in Colony's folder (or in the project that installed Colony), or install Node 24\n`,
    );
    process.exit(1);
  }
  // Its own process group: a terminal's Ctrl-C reaches only this launcher, which forwards it once.
  // COLONY_WRAPPER_PID: when this process is gone, even killed with SIGKILL, the child stops too (cli/colony.ts).
  const child = spawn(node, [entry, ...process.argv.slice(2)], {
    stdio: 'inherit',
    detached: true,
    env: { ...process.env, COLONY_WRAPPER_PID: String(process.pid) },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  process.on('exit', () => child.exitCode === null && child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}
