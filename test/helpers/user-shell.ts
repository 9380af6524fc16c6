import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { delimiter, sep } from 'node:path';
import { promisify } from 'node:util';
import { descendants, killSurvivors, stillRunning, waitGone } from './processes.ts';
import type { ProcessInfo } from './processes.ts';

const exec = promisify(execFile);

/**
 * The environment of a user's own terminal: the machine's `node` and `npm` (no
 * `node_modules/.bin` on PATH, as `npm test` puts there), none of the variables npm and
 * vitest set for their children, npm quiet and preferring its cache.
 */
export function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|NODE$|NODE_ENV$|NODE_OPTIONS$|INIT_CWD$)/i.test(name)) continue;
    env[name] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !dir.split(sep).includes('node_modules'))
    .join(delimiter);
  return {
    ...env,
    FORCE_COLOR: '0',
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
}

export interface Ran {
  code: number;
  /** stdout and stderr together, as a terminal shows them. */
  output: string;
  stdout: string;
}

/** Runs a shell command line in `cwd` as the user would, to its end. */
export async function runLine(line: string, cwd: string, timeoutMs = 120_000): Promise<Ran> {
  try {
    const { stdout, stderr } = await exec('sh', ['-c', line], { cwd, env: userEnv(), timeout: timeoutMs });
    return { code: 0, output: stdout + stderr, stdout };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    const stdout = failed.stdout ?? '';
    return { code: typeof failed.code === 'number' ? failed.code : -1, output: `${stdout}${failed.stderr ?? ''}`, stdout };
  }
}

export interface Foreground {
  process: ChildProcess;
  output(): string;
  /** Waits until the output matches; fails when the process exits first or the time is up. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  /**
   * Ctrl-C, as a terminal sends it: SIGINT to the process group. Resolves once the command
   * exited, with every process it started (its whole tree) that was still running after
   * `graceMs`; those are then killed.
   */
  interrupt(graceMs?: number): Promise<number[]>;
}

const groups = new Set<number>();
process.on('exit', () => {
  for (const group of groups) kill(-group, 'SIGKILL');
});

/** Starts `argv` in `cwd` as a terminal's foreground job: in a process group of its own. */
export function startForeground(argv: string[], cwd: string): Foreground {
  const [file = '', ...args] = argv;
  const child = spawn(file, args, { cwd, env: userEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid as number;
  groups.add(pid);
  let output = '';
  const exited = new Promise<void>((resolve) =>
    child.on('close', () => {
      groups.delete(pid);
      resolve();
    }),
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const waitFor = async (pattern: RegExp, timeoutMs: number): Promise<string> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(output)?.[0];
      if (match !== undefined) return match;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${argv.join(' ')} exited before printing ${String(pattern)}:\n${output}`);
      if (Date.now() > until) throw new Error(`${argv.join(' ')} did not print ${String(pattern)} within ${timeoutMs} ms:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const interrupt = async (graceMs = 30_000): Promise<number[]> => {
    const tree = descendants(pid);
    kill(-pid, 'SIGINT');
    const done = await Promise.race([exited.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), graceMs))]);
    if (!done) kill(-pid, 'SIGKILL');
    const alive: ProcessInfo[] = await waitGone(tree, done ? 5_000 : 0).then(
      () => [],
      () => tree.filter(stillRunning),
    );
    killSurvivors(alive);
    return alive.map((process) => process.pid);
  };

  return { process: child, output: () => output, waitFor, interrupt };
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
