import { existsSync } from 'node:fs';
import { runLogged } from './realnode/host.ts';

/** Where Debian's chromium package puts the browser; COLONY_CHROMIUM names another. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export interface EnsureChromiumOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress lines (what is installed, apt-get's output). */
  log?: (line: string) => void;
  /** Whether this process runs as root (apt-get needs it). */
  isRoot?: boolean;
  /** Where the package puts the browser (tests of this helper name another). */
  path?: string;
}

/**
 * The path of a Chromium for the browser tests: COLONY_CHROMIUM if set, else
 * Debian's /usr/bin/chromium — installed with `apt-get install -y chromium`
 * when it is missing (once; the machine keeps it), with apt-get's output as
 * progress. Where that cannot be done it throws, saying what to install: the
 * tests that need a browser fail, they are never skipped.
 */
export async function ensureChromium(options: EnsureChromiumOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  if (env.COLONY_CHROMIUM) {
    if (!existsSync(env.COLONY_CHROMIUM)) throw new Error(`COLONY_CHROMIUM is ${env.COLONY_CHROMIUM}, which does not exist: point it at a Chromium or Chrome binary, or unset it to use Debian's ${DEBIAN_CHROMIUM}`);
    return env.COLONY_CHROMIUM;
  }
  const path = options.path ?? DEBIAN_CHROMIUM;
  if (existsSync(path)) return path;
  const aptGet = ['/usr/bin/apt-get', '/bin/apt-get'].find((candidate) => existsSync(candidate));
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  if (aptGet === undefined || !isRoot) {
    throw new Error(
      `the browser tests need Chromium, and ${path} is missing; ${aptGet === undefined ? 'this machine has no apt-get' : 'installing it with apt-get needs root'}. ` +
        `Install it (Debian: apt-get install -y chromium), or set COLONY_CHROMIUM to a Chromium or Chrome binary`,
    );
  }
  log(`Chromium is not installed: installing Debian's chromium package with apt-get (once; a minute or two) ...`);
  const started = Date.now();
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  // Waits for another apt-get holding the lock rather than failing at once.
  for (const args of [['update'], ['install', '-y', 'chromium']]) {
    const line = [...args.slice(0, 1), '-o', 'DPkg::Lock::Timeout=300', ...args.slice(1)];
    log(`$ apt-get ${line.join(' ')}`);
    await runLogged(aptGet, line, log, aptEnv);
  }
  if (!existsSync(path)) throw new Error(`apt-get installed chromium, but ${path} is still missing`);
  log(`installed Chromium in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return path;
}
