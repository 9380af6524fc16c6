import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { colonyCacheDir } from '../../cli/tools/cache-dir.ts';

const run = promisify(execFile);

/** The Kubernetes release the suite tests against (etcd, kube-apiserver, kube-controller-manager and kubectl from it). */
export const KUBERNETES_VERSION = 'v1.36.3';
export const ETCD_VERSION = 'v3.6.16';
export const HELM_VERSION = 'v3.22.0';

export interface KubeTools {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubectl: string;
  helm: string;
}

export type Log = (line: string) => void;

function go(): string {
  if (existsSync('/usr/local/go/bin/go')) return '/usr/local/go/bin/go';
  return 'go';
}

/** Runs a Go command, streaming its output as progress; rejects with the tail of the output. */
export function goRun(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; log: Log }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(go(), args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n')) if (line.trim()) options.log(`  ${line.trim()}`);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => reject(new Error(`could not run go (${error.message}); install Go to build the Kubernetes test binaries`, { cause: error })));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`go ${args.join(' ')} failed (exit ${code}):\n${output.slice(-4000)}`)),
    );
  });
}

/** Builds one binary into `target` (atomically: concurrent builders never see half a file). */
async function install(target: string, build: (outDir: string) => Promise<string>, log: Log): Promise<string> {
  if (existsSync(target)) return target;
  const started = Date.now();
  const outDir = `${target}.build-${process.pid}`;
  await mkdir(outDir, { recursive: true });
  try {
    const built = await build(outDir);
    await rename(built, target);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  log(`built ${target} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return target;
}

/**
 * `go install module@version` refuses modules whose go.mod replaces their
 * siblings with local paths (k8s.io/kubernetes points its staging modules at
 * ./staging, etcd's server points at ../api and the like). Building them needs
 * a module of our own that requires them and replaces each such sibling with
 * its release at the matching version; this finds those replaces.
 */
async function siblingReplaces(module: string, version: string, siblingVersion: string, log: Log): Promise<string[]> {
  const { stdout } = await run(go(), ['mod', 'download', '-json', `${module}@${version}`], { maxBuffer: 16 * 1024 * 1024 }).catch((error: unknown) => {
    log(String((error as { stderr?: string }).stderr ?? error));
    throw error;
  });
  const info = JSON.parse(stdout) as { GoMod: string };
  const goMod = await readFile(info.GoMod, 'utf8');
  // Siblings in the same repository (`../api`, `./staging/...`); guards such as `=> ./FORBIDDEN_DEPENDENCY` are not.
  const local = [...goMod.matchAll(/^\s*(?:replace\s+)?([\w./-]+)\s+=>\s+(?:\.\.\/|\.\/staging\/)/gm)].map((m) => m[1] as string);
  return [...new Set(local)].map((sibling) => `replace ${sibling} => ${sibling} ${siblingVersion}`);
}

/** Builds `commands` (package paths of `module`) into `dir`, through a module that requires it. */
async function buildFromModule(
  dir: string,
  module: string,
  version: string,
  siblingVersion: string,
  commands: { name: string; path: string }[],
  log: Log,
  ldflags?: string,
): Promise<void> {
  if (commands.every((c) => existsSync(join(dir, c.name)))) return;
  await mkdir(dir, { recursive: true });
  const src = join(dir, 'src');
  await mkdir(src, { recursive: true });
  const replaces = await siblingReplaces(module, version, siblingVersion, log);
  await writeFile(join(src, 'go.mod'), `module colony.dev/tools\n\ngo 1.26\n\nrequire ${module} ${version}\n\n${replaces.join('\n')}\n`);
  await writeFile(join(src, 'tools.go'), `//go:build tools\n\npackage tools\n\nimport (\n${commands.map((c) => `\t_ "${c.path}"`).join('\n')}\n)\n`);
  const env = { GOFLAGS: '-mod=mod' };
  await goRun(['mod', 'tidy'], { cwd: src, env, log });
  const started = Date.now();
  const out = join(dir, `out-${process.pid}`);
  await mkdir(out, { recursive: true });
  await goRun(['build', '-o', out, ...(ldflags ? ['-ldflags', ldflags] : []), ...commands.map((c) => c.path)], { cwd: src, env, log });
  for (const command of commands) {
    // `go build -o dir` names each binary after the last element of its path that is not a major version.
    const built = command.path.split('/').filter((part) => !/^v\d+$/.test(part)).at(-1) as string;
    await rename(join(out, built), join(dir, command.name));
  }
  await rm(out, { recursive: true, force: true });
  log(`built ${commands.map((c) => c.name).join(', ')} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** Builds `names` (commands of k8s.io/kubernetes at KUBERNETES_VERSION) into `dir`, once; says so first when it must build. */
export async function buildKubeCommands(dir: string, names: string[], log: Log, note: string, ldflags?: string): Promise<void> {
  if (!names.every((name) => existsSync(join(dir, name)))) log(`building ${names.join(', ')} ${KUBERNETES_VERSION} from source (once; ${note}) into ${dir} ...`);
  await buildFromModule(
    dir,
    'k8s.io/kubernetes',
    KUBERNETES_VERSION,
    KUBERNETES_VERSION.replace(/^v1\./, 'v0.'),
    names.map((name) => ({ name, path: `k8s.io/kubernetes/cmd/${name}` })),
    log,
    ldflags,
  );
}

/** `go install module@version` of the command `name` into ~/.cache/colony/bin/<name>-<version>, once; its path. */
export function goInstallTool(name: string, module: string, version: string, log: Log, ldflags?: string): Promise<string> {
  return install(
    join(colonyCacheDir(), 'bin', `${name}-${version}`),
    async (out) => {
      log(`building ${name} ${version} with go install (once) ...`);
      await goRun(['install', ...(ldflags ? [`-ldflags=${ldflags}`] : []), `${module}@${version}`], { env: { GOBIN: out, CGO_ENABLED: '0' }, log });
      return join(out, name);
    },
    log,
  );
}

/**
 * The binaries the Kubernetes tests need, built from their Go modules at
 * pinned versions and cached under ~/.cache/colony (what controller-runtime's
 * envtest does for Go operators): etcd, kube-apiserver,
 * kube-controller-manager (for garbage collection and Deployments), kubectl, helm.
 */
export async function ensureKubeTools(log: Log = () => undefined): Promise<KubeTools> {
  const cache = colonyCacheDir();
  const kubeDir = join(cache, 'kube', KUBERNETES_VERSION);
  await mkdir(kubeDir, { recursive: true });
  const etcdDir = join(cache, 'etcd', ETCD_VERSION);
  if (!existsSync(join(etcdDir, 'etcd'))) log(`building etcd ${ETCD_VERSION} (once) into ${etcdDir} ...`);
  await buildFromModule(etcdDir, 'go.etcd.io/etcd/server/v3', ETCD_VERSION, ETCD_VERSION, [{ name: 'etcd', path: 'go.etcd.io/etcd/server/v3' }], log);
  const helm = await goInstallTool('helm', 'helm.sh/helm/v3/cmd/helm', HELM_VERSION, log);
  await buildKubeCommands(kubeDir, ['kube-apiserver', 'kube-controller-manager', 'kubectl'], log, '10–30 minutes on 2 cores');
  return {
    etcd: join(etcdDir, 'etcd'),
    kubeApiserver: join(kubeDir, 'kube-apiserver'),
    kubeControllerManager: join(kubeDir, 'kube-controller-manager'),
    kubectl: join(kubeDir, 'kubectl'),
    helm,
  };
}
