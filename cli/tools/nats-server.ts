import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { colonyCacheDir } from './cache-dir.ts';

const run = promisify(execFile);

/** The nats-server release Colony is tested against; built with `go install` when none is on PATH. */
export const NATS_SERVER_VERSION = 'v2.15.2';
/** Oldest nats-server on PATH that `colony dev` accepts (per-message TTLs and the KV features it uses). */
export const MIN_NATS_SERVER = [2, 11, 0] as const;

export interface EnsureOptions {
  /** Accept a recent enough nats-server found on PATH (colony dev); tests pass false to pin the version. */
  allowPath?: boolean;
  /** Progress lines (what is being built and where). */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

function parseVersion(text: string): number[] | undefined {
  const match = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match ? match.slice(1, 4).map(Number) : undefined;
}

function atLeast(version: number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i += 1) {
    const a = version[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The pinned nats-server binary in the cache (it may not exist yet). */
export function pinnedNatsServerPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(colonyCacheDir(env), 'bin', `nats-server-${NATS_SERVER_VERSION}`);
}

/**
 * Returns the path of a nats-server to run: `COLONY_NATS_SERVER` if set; with
 * `allowPath`, a recent enough one on PATH; else the pinned release, built
 * once with `go install` into ~/.cache/colony/bin.
 */
export async function ensureNatsServer(options: EnsureOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  if (env.COLONY_NATS_SERVER) return env.COLONY_NATS_SERVER;
  if (options.allowPath) {
    const found = onPath('nats-server', env);
    if (found) {
      const { stdout } = await run(found, ['--version']).catch(() => ({ stdout: '' }));
      const version = parseVersion(stdout);
      if (version && atLeast(version, MIN_NATS_SERVER)) return found;
      log(`ignoring ${found} (${stdout.trim() || 'unknown version'}): Colony needs nats-server ${MIN_NATS_SERVER.join('.')} or newer`);
    }
  }
  const pinned = pinnedNatsServerPath(env);
  if (existsSync(pinned)) return pinned;
  await buildPinned(pinned, env, log);
  return pinned;
}

async function buildPinned(target: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const go = onPath('go', env) ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new Error(
      `nats-server ${NATS_SERVER_VERSION} is not in ${target} and Go is not installed to build it. ` +
        'Install Go (https://go.dev/dl), or put nats-server 2.11+ on PATH, or set COLONY_NATS_SERVER, or pass --nats-url.',
    );
  }
  const gobin = `${target}.build-${process.pid}`;
  await mkdir(gobin, { recursive: true });
  log(`building nats-server ${NATS_SERVER_VERSION} with go install (once; cached in ${target}) ...`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', `github.com/nats-io/nats-server/v2@${NATS_SERVER_VERSION}`], {
      env: { ...env, GOBIN: gobin, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer): void => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n')) if (line.trim()) log(`  ${line.trim()}`);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`go install of nats-server ${NATS_SERVER_VERSION} failed (exit ${code}):\n${output.slice(-4000)}`));
    });
  });
  // Rename into place atomically: concurrent builders (parallel test workers) never see half a binary.
  await rename(join(gobin, 'nats-server'), target);
  await rm(gobin, { recursive: true, force: true });
  log(`built nats-server ${NATS_SERVER_VERSION} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface NatsServerOptions {
  binary: string;
  /** JetStream store directory. */
  storeDir: string;
  port?: number;
  /** Extra arguments for nats-server. */
  args?: string[];
  /** Lines nats-server prints (for logs). */
  onOutput?: (line: string) => void;
  /** How long to wait for the server to accept connections, ms. */
  startTimeoutMs?: number;
  /** Run in its own process group, so a terminal's Ctrl-C does not stop it before the pods have drained. */
  detached?: boolean;
  /** Called with the pid as soon as the process exists, before it is ready. */
  onSpawn?: (pid: number) => void;
}

/** How long a stopping nats-server may take after SIGTERM before it is killed, ms. */
export const NATS_STOP_GRACE_MS = 5_000;

export interface RunningNatsServer {
  url: string;
  port: number;
  process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after NATS_STOP_GRACE_MS). */
  stop(): Promise<void>;
  /** Kills the server with SIGKILL (fault tests). */
  kill(): Promise<void>;
}

/**
 * The environment of a local nats-server: one Go processor unless GOMAXPROCS
 * is set. On one machine the Node processes, not nats-server, are the limit
 * (one core moves millions of messages a second), and every extra Go thread
 * is one more to wake per message: measured on 2 cores, a gateway call cost
 * 105–125 µs of CPU instead of about 140, and throughput rose by about 15 %
 * (decision 6).
 */
export function natsServerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, GOMAXPROCS: env.GOMAXPROCS ?? '1' };
}

/** Starts nats-server with JetStream on 127.0.0.1; resolves once it accepts clients. */
export async function startNatsServer(options: NatsServerOptions): Promise<RunningNatsServer> {
  const port = options.port ?? (await freePort());
  await mkdir(options.storeDir, { recursive: true });
  const child = spawn(
    options.binary,
    ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', options.storeDir, '--http_port', '0', ...(options.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false, env: natsServerEnv(process.env) },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n')) if (line.trim()) options.onOutput?.(line);
      if (output.includes('Server is ready')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    void exited.then((code) =>
      reject(new Error(`nats-server exited with code ${code} before it was ready on port ${port}:\n${output.slice(-2000)}`)),
    );
  });
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`nats-server did not become ready on port ${port} within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const force = setTimeout(() => child.kill('SIGKILL'), NATS_STOP_GRACE_MS);
    await exited;
    clearTimeout(force);
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    process: child,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
  };
}
