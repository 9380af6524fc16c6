import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callPath } from './call.ts';

export const COLONY_BIN = fileURLToPath(new URL('../../cli/colony.js', import.meta.url));
export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples', import.meta.url));
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/agents', import.meta.url));

/** What a run of the colony bin printed, and its exit code. */
export interface ColonyRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the colony bin with `args` to its end; COLONY_TOKEN and COLONY_URL are unset unless `env` sets them. */
export function runColony(args: string[], env: Record<string, string> = {}): Promise<ColonyRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [COLONY_BIN, ...args], { env: { ...process.env, COLONY_TOKEN: '', COLONY_URL: '', ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

export interface ColonyDev {
  url: string;
  natsUrl: string;
  dataDir: string;
  process: ChildProcess;
  /** Everything colony dev printed so far. */
  output(): string;
  /** Waits until the output contains `text` (or matches). */
  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process exited, with its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Sends SIGINT and waits for a clean exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** POSTs JSON to the gateway. */
  call(agent: string, key: string, method: string, input?: unknown, headers?: Record<string, string>): Promise<Response>;
}

export interface ColonyDevOptions {
  dirs?: string[];
  dataDir?: string;
  args?: string[];
  startTimeoutMs?: number;
  /** The node that runs the bin (default: this one); an old one makes the bin re-run itself on Node 24. */
  node?: string;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Runs `colony dev` as a real process, exactly as a user would (via the bin),
 * on a free gateway port and a temporary data dir; resolves when it printed
 * that it is ready.
 */
export async function startColonyDev(options: ColonyDevOptions = {}): Promise<ColonyDev> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'colony-dev-')));
  const dirs = options.dirs ?? [EXAMPLES_DIR];
  const child = spawn(options.node ?? process.execPath, [COLONY_BIN, 'dev', ...dirs, '--port', '0', '--data-dir', dataDir, ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  running.add(child);
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
      for (const listener of listeners) listener();
    }),
  );

  const waitFor = (pattern: string | RegExp, timeoutMs = 30_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const match = typeof pattern === 'string' ? (output.includes(pattern) ? pattern : undefined) : pattern.exec(output)?.[0];
        if (match !== undefined) {
          cleanup();
          resolve(match);
          return true;
        }
        if (child.exitCode !== null) {
          cleanup();
          reject(new Error(`colony dev exited (code ${child.exitCode}) before printing ${String(pattern)}:\n${output}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`colony dev did not print ${String(pattern)} within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        listeners.delete(listener);
      };
      const listener = (): void => void check();
      if (!check()) listeners.add(listener);
    });

  const gatewayLine = await waitFor(/gateway {2}http:\/\/\S+/, options.startTimeoutMs ?? 90_000);
  const url = gatewayLine.split(/\s+/)[1] as string;
  const natsLine = await waitFor(/nats {5}nats:\/\/\S+/);
  return {
    url,
    natsUrl: natsLine.split(/\s+/)[1] as string,
    dataDir,
    process: child,
    exited,
    output: () => output,
    waitFor,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      const code = await exited;
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
      return code;
    },
    call: (agent, key, method, input, headers = {}) =>
      fetch(`${url}${callPath(agent, key, method)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: input === undefined ? '' : JSON.stringify(input),
      }),
  };
}
