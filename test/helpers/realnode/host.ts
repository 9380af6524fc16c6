import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { promisify } from 'node:util';
import type { Log } from '../kube-tools.ts';

const run = promisify(execFile);

/** Debian packages a real node needs: the container runtime, the CNI plugins, iptables, and what builds images. */
export const PACKAGES = ['containerd', 'runc', 'podman', 'containernetworking-plugins', 'iptables', 'conntrack', 'debootstrap', 'openssl'];

/**
 * What keeps a real node from running on this machine, each with what
 * enables it; empty when nothing does. Packages are not checked here:
 * ensurePackages installs them.
 */
export function hostProblems(): string[] {
  const problems: string[] = [];
  if (process.platform !== 'linux') problems.push(`this is ${process.platform}: a real node needs Linux (containerd, runc, iptables)`);
  else {
    if (process.getuid?.() !== 0) problems.push('not root: containerd, runc, the CNI bridge and iptables need it (run the suite as root, e.g. sudo -E npm run test:realnode)');
    if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) problems.push('the kernel has no overlay filesystem: containerd\'s overlayfs snapshotter needs it (modprobe overlay)');
    if (!existsSync('/sys/fs/cgroup')) problems.push('no /sys/fs/cgroup: the kubelet needs cgroups');
    if (!existsSync('/usr/bin/apt-get') && !PACKAGES.every((p) => existsSync(`/usr/bin/${p}`) || existsSync(`/usr/sbin/${p}`))) {
      problems.push(`no apt-get to install ${PACKAGES.join(', ')}: install them with the system's package manager`);
    }
  }
  if (!nodeIp()) problems.push('no global IPv4 address: the kubelet refuses a loopback node IP');
  return problems;
}

/** The node's InternalIP: the first global IPv4 address (the kubelet refuses loopback). */
export function nodeIp(): string | undefined {
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (name.startsWith('colony') || name.startsWith('cni') || name.startsWith('veth')) continue;
    const v4 = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (v4) return v4.address;
  }
  return undefined;
}

async function installed(pkg: string): Promise<boolean> {
  try {
    const { stdout } = await run('dpkg-query', ['-W', '-f=${Status}', pkg]);
    return stdout.includes('install ok installed');
  } catch {
    return false;
  }
}

/** Runs a command, streaming its output to `log`; rejects with the tail of its output. */
export function runLogged(command: string, args: string[], log: Log, env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      const text = chunk.toString();
      output = (output + text).slice(-8000);
      for (const line of text.split('\n')) if (line.trim()) log(`  ${line.trim()}`);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => reject(new Error(`could not run ${command}: ${error.message}`, { cause: error })));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${output.slice(-4000)}`))));
  });
}

/** Installs the Debian packages that are missing (apt-get, once; about 30 s). */
export async function ensurePackages(log: Log): Promise<void> {
  const missing: string[] = [];
  for (const pkg of PACKAGES) if (!(await installed(pkg))) missing.push(pkg);
  if (missing.length === 0) return;
  log(`installing Debian packages: ${missing.join(' ')} (apt-get, once) ...`);
  const quiet = (): void => undefined;
  await runLogged('apt-get', ['update', '-q'], quiet, { DEBIAN_FRONTEND: 'noninteractive' });
  await runLogged('apt-get', ['install', '-y', '-q', ...missing], quiet, { DEBIAN_FRONTEND: 'noninteractive' });
  log(`installed ${missing.join(' ')}`);
}
