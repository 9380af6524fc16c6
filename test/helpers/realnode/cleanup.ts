import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Log } from '../kube-tools.ts';
import type { NodeLayout } from './config-files.ts';

const run = promisify(execFile);
const quiet = (command: string, args: string[]) => run(command, args, { maxBuffer: 16 * 1024 * 1024 }).catch(() => ({ stdout: '', stderr: '' }));

/**
 * What pods leave on the host once their daemons are gone, removed so that a
 * run leaves the machine as it found it: pod sandboxes (through the CRI, so
 * that CNI releases addresses, iptables rules and network namespaces),
 * containerd's tasks, mounts under the node's folders, the bridge, the NAT
 * rules CNI tagged with the network's name, the kubelet's and kube-proxy's
 * chains. Each step tolerates what is already gone.
 */
export async function removePods(layout: NodeLayout, crictl: string, log: Log): Promise<void> {
  if (!existsSync(layout.containerdSocket)) return;
  const removed = await run(crictl, ['-r', `unix://${layout.containerdSocket}`, '-t', '30s', 'rmp', '-fa'], { maxBuffer: 16 * 1024 * 1024 }).then(
    () => true,
    (error: unknown) => {
      log(`crictl rmp -fa: ${(error as Error).message.split('\n')[0]}`);
      return false;
    },
  );
  if (removed) log('removed every pod sandbox (CNI released their addresses)');
  const ctr = (args: string[]) => quiet('ctr', ['--address', layout.containerdSocket, '-n', 'k8s.io', ...args]);
  const tasks = (await ctr(['tasks', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
  for (const task of tasks) await ctr(['tasks', 'kill', '-s', 'KILL', task]);
  for (const task of tasks) await ctr(['tasks', 'delete', '-f', task]);
  for (const container of (await ctr(['containers', 'ls', '-q'])).stdout.split('\n').filter(Boolean)) await ctr(['containers', 'delete', container]);
}

/** Shims outlive containerd: stops those that served this node's socket. */
export async function stopShims(layout: NodeLayout): Promise<void> {
  const { stdout } = await quiet('pgrep', ['-f', `containerd-shim-runc-v2 .*-address ${layout.containerdSocket}`]);
  for (const pid of stdout.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone
    }
  }
}

export async function unmountUnder(dirs: string[], log: Log): Promise<void> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((point): point is string => point !== undefined && dirs.some((dir) => point.startsWith(`${dir}/`)))
    .sort()
    .reverse();
  for (const point of mounts) await quiet('umount', ['-l', point]);
  if (mounts.length > 0) log(`unmounted ${mounts.length} mounts under ${dirs.join(', ')}`);
}

/**
 * An iptables-restore script that deletes the NAT rules tagged with the CNI
 * network's name and the CNI-* chains they use, and CNI-* chains left empty
 * and unused (a cleanup cut short). Pure: from `iptables-save -t nat`'s text.
 * The rules are given back verbatim, so their quoted comments stay intact.
 */
export function natCleanupScript(save: string, network: string): string | undefined {
  const marker = `name: \\"${network}\\"`;
  const lines = save.split('\n');
  const ours = lines.filter((line) => line.startsWith('-A ') && line.includes(marker));
  const chains = new Set<string>();
  for (const line of ours) {
    const owner = line.split(' ')[1] as string;
    if (owner.startsWith('CNI-')) chains.add(owner);
    const jump = / -j (CNI-[0-9a-f]+)/.exec(line)?.[1];
    if (jump) chains.add(jump);
  }
  const declared = lines.filter((line) => line.startsWith(':CNI-')).map((line) => line.slice(1).split(' ')[0] as string);
  const used = (chain: string) => lines.some((line) => line.startsWith('-A ') && (line.startsWith(`-A ${chain} `) || line.includes(` -j ${chain}`)) && !ours.includes(line));
  for (const chain of declared) if (!used(chain)) chains.add(chain);
  const deletes = ours.filter((line) => !chains.has(line.split(' ')[1] as string)).map((line) => `-D ${line.slice(3)}`);
  if (deletes.length === 0 && chains.size === 0) return undefined;
  return ['*nat', ...deletes, ...[...chains].map((chain) => `-F ${chain}`), ...[...chains].map((chain) => `-X ${chain}`), 'COMMIT', ''].join('\n');
}

function restore(script: string): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('iptables-restore', ['--noflush'], { stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', () => resolve());
    child.on('exit', () => resolve());
    child.stdin.on('error', () => undefined);
    child.stdin.end(script);
  });
}

export async function removeNetwork(layout: NodeLayout, kubeProxy: string | undefined, netnsBefore: Set<string>, log: Log): Promise<void> {
  if (kubeProxy) await quiet(kubeProxy, ['--cleanup']);
  // NAT rules the bridge plugin's ipMasq added (tagged with the network's name), and their chains.
  const script = natCleanupScript((await quiet('iptables-save', ['-t', 'nat'])).stdout, layout.network);
  if (script) await restore(script);
  // The kubelet's own chains (KUBE-FIREWALL drops non-local traffic to 127/8), for IPv4 and IPv6.
  for (const iptables of ['iptables', 'ip6tables']) {
    for (const hook of ['INPUT', 'OUTPUT']) {
      for (let i = 0; i < 5; i += 1) if ((await run(iptables, ['-t', 'filter', '-D', hook, '-j', 'KUBE-FIREWALL']).then(() => true, () => false)) === false) break;
    }
    for (const table of ['filter', 'nat', 'mangle']) {
      for (const chain of ['KUBE-FIREWALL', 'KUBE-KUBELET-CANARY', 'KUBE-IPTABLES-HINT', 'KUBE-PROXY-CANARY']) {
        await quiet(iptables, ['-t', table, '-F', chain]);
        await quiet(iptables, ['-t', table, '-X', chain]);
      }
    }
  }
  await quiet('ip', ['link', 'delete', layout.bridge]);
  for (const ns of await readdir('/run/netns').catch(() => [] as string[])) {
    if (!ns.startsWith('cni-') || netnsBefore.has(ns)) continue;
    await quiet('umount', [`/run/netns/${ns}`]);
    await rm(`/run/netns/${ns}`, { force: true });
  }
  log(`removed the bridge ${layout.bridge}, its NAT rules and the node's iptables chains`);
}

export async function netnsNow(): Promise<Set<string>> {
  return new Set(await readdir('/run/netns').catch(() => [] as string[]));
}
