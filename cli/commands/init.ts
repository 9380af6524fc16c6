import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNS_FROM_SOURCE } from '../../agent-runtime/host/own-files.ts';
import { packageName, scaffold } from '../dev/scaffold.ts';
import { parseCommandArgs, UsageError } from '../usage-error.ts';

export const INIT_USAGE = `colony init [dir] [options]

Makes a new project in dir (default .; made if missing): package.json,
tsconfig.json, an agent (agents/greeter/greeter.ts), its manifest and its
tests. Then:

  cd dir && npm install && npm test && npm start

Options:
  --name <name>   the package's name (default: the folder's)

It writes no file that exists: in a folder that has one of them, it stops and
names them.`;

/** The folder of this copy of Colony (its package.json named "colony"), which the new project depends on. */
function colonyRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'colony') return dir;
    if (dirname(dir) === dir) throw new Error('cannot find the folder of Colony (a package.json named "colony" above this command)');
  }
}

export async function initCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    { args: argv, allowPositionals: true, options: { name: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } },
    INIT_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${INIT_USAGE}\n`);
    return;
  }
  if (positionals.length > 1) throw new UsageError(`one folder at most, got ${positionals.join(' ')}`, INIT_USAGE);
  const dir = resolve(positionals[0] ?? '.');
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`${dir} is a file, not a folder`, INIT_USAGE);
  const name = values.name ?? packageName(basename(dir));
  if (packageName(name) !== name) throw new UsageError(`--name ${JSON.stringify(name)} is not an npm package name (lower case, digits, ".", "_" and "-"); e.g. ${packageName(name)}`, INIT_USAGE);
  // A published Colony would be a version range; this one is the folder it runs from (a checkout, or an installed package).
  const files = scaffold({ name, colony: `file:${colonyRoot()}`, fromSource: RUNS_FROM_SOURCE });
  const taken = [...files.keys()].filter((file) => existsSync(join(dir, file)));
  if (taken.length > 0) {
    throw new Error(`${dir} already has ${taken.join(', ')}; colony init writes no file that exists: choose an empty folder (colony init <dir>)`);
  }
  for (const [file, content] of files) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), content, { flag: 'wx' });
  }
  const shown = relative(process.cwd(), dir) || '.';
  process.stdout.write(
    [
      `colony init: a new project in ${shown}`,
      ...[...files.keys()].map((file) => `  ${file}`),
      '',
      'Next:',
      ...(shown === '.' ? [] : [`  cd ${shown}`]),
      '  npm install',
      '  npm test        # type-checks, then runs the greeter\'s tests in-process',
      '  npm start       # the platform with the greeter; then: npx colony invoke greeter/world greet \'{"name":"Ada"}\'',
      '',
    ].join('\n'),
  );
}
