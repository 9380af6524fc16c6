import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { colonyCacheDir } from '../../../cli/tools/cache-dir.ts';
import { freePort } from '../../../cli/tools/nats-server.ts';
import type { Log } from '../kube-tools.ts';
import type { KubectlResult } from '../kube-cluster.ts';
import { ensureNodeTools } from './binaries.ts';
import { exec } from './chart.ts';
import type { NodeTools } from './binaries.ts';
import { netnsNow, removeNetwork, removePods, stopShims, unmountUnder } from './cleanup.ts';
import { cniConfig, containerdConfig, corednsManifest, kubeconfig, kubeletConfig } from './config-files.ts';
import type { NodeLayout } from './config-files.ts';
import { daemons, isRunning, leftoverDaemons, stopLeftovers } from './daemons.ts';
import { BASE, ensureBaseImages, importImages } from './images.ts';
import type { BuiltImage } from './images.ts';
import { ensurePackages, hostProblems, nodeIp } from './host.ts';

const run = promisify(execFile);

/** One node per machine: its bridge, NodePorts and iptables rules are machine-wide. */
const RUN_DIR = '/run/colony-realnode';
const RECORD = join(RUN_DIR, 'daemons.json');
const OWNER = join(RUN_DIR, 'owner.json');

export interface RealNode {
  kubeconfig: string;
  nodeName: string;
  nodeIp: string;
  tools: NodeTools;
  layout: NodeLayout;
  /** Where each daemon's log is (`<name>.log`). */
  logDir: string;
  /** The stand-in images made for the node (for their sizes), and the Node base for Colony's. */
  baseImages: { node: string; nats: BuiltImage };
  kubectl(args: string[], options?: { input?: string }): Promise<KubectlResult>;
  /** Imports images into the node's containerd (skipping those already there). */
  importImages(images: BuiltImage[]): Promise<void>;
  stop(): Promise<void>;
}

interface Owner {
  pid: number;
  /** The owner's executable, to tell it from a later process with the same pid. */
  exe: string;
  layout: NodeLayout;
  netnsBefore: string[];
  ipForward: string;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, tail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} was not ready within ${timeoutMs / 1000} s; its log ends with:\n${tail()}`);
}

function kubectlRunner(tools: NodeTools, config: string) {
  return (args: string[], options: { input?: string } = {}): Promise<KubectlResult> => exec(tools.kubectl, ['--kubeconfig', config, ...args], options);
}

/** Tears down what a node left: pods, daemons, shims, mounts, network, folders. */
async function teardown(owner: Owner, stopDaemons: () => Promise<void>, kubeProxy: string | undefined, log: Log): Promise<void> {
  const { layout } = owner;
  await stopDaemons();
  await stopShims(layout);
  await unmountUnder([layout.state, layout.run, layout.containerdRoot], log);
  await removeNetwork(layout, kubeProxy, new Set(owner.netnsBefore), log);
  await run('sysctl', ['-qw', `net.ipv4.ip_forward=${owner.ipForward}`]).catch(() => undefined);
  await rm(layout.state, { recursive: true, force: true });
  await rm(layout.run, { recursive: true, force: true });
}

/** A run that died (kill -9 of the test runner) left daemons and network behind: clean them up first. */
async function cleanLeftovers(tools: NodeTools, log: Log): Promise<void> {
  if (!existsSync(OWNER)) return;
  const owner = JSON.parse(await readFile(OWNER, 'utf8')) as Owner;
  if (owner.pid !== process.pid && isRunning({ name: 'owner', pid: owner.pid, exe: owner.exe })) {
    throw new Error(
      `another real-node run (pid ${owner.pid}) is using this machine's node (${RUN_DIR}); wait for it to end, or stop it (kill ${owner.pid}) and run again: its leftovers are then cleaned up`,
    );
  }
  log(`cleaning up after an earlier run that did not stop (pid ${owner.pid}) ...`);
  const leftovers = await leftoverDaemons(RECORD);
  const kubelet = leftovers.filter((d) => d.name === 'kubelet');
  await stopLeftovers(kubelet, log);
  if (leftovers.some((d) => d.name === 'containerd')) await removePods(owner.layout, tools.crictl, log);
  await teardown(owner, () => stopLeftovers(leftovers.filter((d) => d.name !== 'kubelet'), log), tools.kubeProxy, log);
  await rm(OWNER, { force: true });
  await rm(RECORD, { force: true });
}

/**
 * A real single-node Kubernetes on this machine: containerd and runc from
 * Debian with a bridge CNI, etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler, a kubelet and kube-proxy built from the pinned Kubernetes
 * module, CoreDNS, and images made here (no registry is reachable). Everything
 * it starts it stops in `stop()`, and a later run cleans up after one that
 * died. Throws, saying what enables it, when this machine cannot run it.
 */
export async function startRealNode(log: Log): Promise<RealNode> {
  const problems = hostProblems();
  if (problems.length > 0) throw new Error(`a real Kubernetes node cannot run on this machine:\n  - ${problems.join('\n  - ')}`);
  const started = Date.now();
  await ensurePackages(log);
  const tools = await ensureNodeTools(log);
  await mkdir(RUN_DIR, { recursive: true });
  await cleanLeftovers(tools, log);

  const cache = join(colonyCacheDir(), 'realnode');
  await mkdir(cache, { recursive: true });
  const state = await mkdtemp('/var/tmp/colony-realnode-');
  const layout: NodeLayout = {
    state,
    run: join(RUN_DIR, 'run'),
    containerdRoot: join(cache, 'containerd'),
    containerdSocket: join(RUN_DIR, 'run', 'containerd.sock'),
    podCidr: '10.244.0.0/24',
    serviceCidr: '10.96.0.0/24',
    bridge: 'colony0',
    network: 'colony-realnode',
    nodeName: 'realnode',
    nodeIp: nodeIp() as string,
    pauseImage: BASE.pause,
  };
  const owner: Owner = {
    pid: process.pid,
    exe: (await readFile('/proc/self/cmdline', 'utf8')).split('\0')[0] as string,
    layout,
    netnsBefore: [...(await netnsNow())],
    ipForward: (await run('sysctl', ['-n', 'net.ipv4.ip_forward'])).stdout.trim(),
  };
  await writeFile(OWNER, JSON.stringify(owner, null, 2));
  const logDir = join(state, 'logs');
  for (const dir of [logDir, layout.run, join(state, 'cni', 'net.d'), join(state, 'pki'), join(state, 'kubelet'), layout.containerdRoot]) await mkdir(dir, { recursive: true });
  const procs = daemons(logDir, RECORD);
  const stopAll = async (): Promise<void> => {
    await procs.stop('kubelet');
    if (procs.alive('containerd')) await removePods(layout, tools.crictl, log);
    await teardown(owner, () => procs.stopAll(), tools.kubeProxy, log);
    await rm(OWNER, { force: true });
    await rm(RECORD, { force: true });
  };

  try {
    // containerd, and the images every pod needs before any can start.
    await writeFile(join(state, 'containerd.toml'), containerdConfig(layout));
    await writeFile(join(state, 'cni', 'net.d', '10-colony.conflist'), cniConfig(layout));
    procs.start('containerd', '/usr/bin/containerd', ['--config', join(state, 'containerd.toml')]);
    await until('containerd', async () => existsSync(layout.containerdSocket) && (await run('ctr', ['--address', layout.containerdSocket, 'version'])) !== undefined, 30_000, () => procs.tail('containerd'));
    const base = await ensureBaseImages(cache, tools, log);
    const importRecord = join(cache, 'imported.json');
    const load = (images: BuiltImage[]) => importImages(images, layout.containerdSocket, importRecord, log);
    await load([base.pause, base.coredns, base.nats]);

    // The control plane, on the node's address (pods reach the API server through the kubernetes Service).
    const [etcdPort, peerPort, apiPort, kubeletPort, healthzPort, proxyMetrics, proxyHealth] = (await Promise.all(Array.from({ length: 7 }, () => freePort()))) as [number, number, number, number, number, number, number];
    const pki = join(state, 'pki');
    const serviceIp = layout.serviceCidr.replace(/\.0\/\d+$/, '.1');
    const dnsIp = layout.serviceCidr.replace(/\.0\/\d+$/, '.10');
    await run('openssl', ['genrsa', '-out', join(pki, 'sa.key'), '2048']);
    await run('openssl', ['rsa', '-in', join(pki, 'sa.key'), '-pubout', '-out', join(pki, 'sa.pub')]);
    await run('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '7', '-subj', '/CN=colony-realnode-apiserver',
      '-addext', `subjectAltName=IP:127.0.0.1,IP:${layout.nodeIp},IP:${serviceIp},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local`,
      '-keyout', join(pki, 'apiserver.key'), '-out', join(pki, 'apiserver.crt'),
    ]);
    const adminToken = randomBytes(24).toString('hex');
    const nodeToken = randomBytes(24).toString('hex');
    await writeFile(join(pki, 'tokens.csv'), `${adminToken},admin,admin,system:masters\n${nodeToken},system:node:${layout.nodeName},node,system:nodes\n`, { mode: 0o600 });
    const server = `https://127.0.0.1:${apiPort}`;
    const adminConfig = join(state, 'admin.kubeconfig');
    await writeFile(adminConfig, kubeconfig(server, join(pki, 'apiserver.crt'), adminToken), { mode: 0o600 });
    await writeFile(join(state, 'kubelet.kubeconfig'), kubeconfig(server, join(pki, 'apiserver.crt'), nodeToken), { mode: 0o600 });
    const kubectl = kubectlRunner(tools, adminConfig);

    procs.start('etcd', tools.etcd, [
      '--data-dir', join(state, 'etcd'), '--name', 'default',
      '--listen-client-urls', `http://127.0.0.1:${etcdPort}`, '--advertise-client-urls', `http://127.0.0.1:${etcdPort}`,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-cluster', `default=http://127.0.0.1:${peerPort}`, '--unsafe-no-fsync', '--log-level', 'warn',
    ]);
    await until('etcd', async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok, 30_000, () => procs.tail('etcd'));
    procs.start('kube-apiserver', tools.kubeApiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`, `--secure-port=${apiPort}`,
      '--bind-address=0.0.0.0', `--advertise-address=${layout.nodeIp}`,
      `--tls-cert-file=${join(pki, 'apiserver.crt')}`, `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
      `--token-auth-file=${join(pki, 'tokens.csv')}`, '--authorization-mode=Node,RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(pki, 'sa.pub')}`, `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
      `--service-cluster-ip-range=${layout.serviceCidr}`, '--allow-privileged=true',
      // The kubelet's address for logs and exec is the node IP, not a name DNS here cannot resolve.
      '--kubelet-preferred-address-types=InternalIP', '--v=0',
    ]);
    await until('kube-apiserver', async () => (await kubectl(['get', '--raw', '/readyz'])).code === 0, 120_000, () => procs.tail('kube-apiserver'));
    procs.start('kube-controller-manager', tools.kubeControllerManager, [
      `--kubeconfig=${adminConfig}`, `--authentication-kubeconfig=${adminConfig}`, `--authorization-kubeconfig=${adminConfig}`,
      '--leader-elect=false', `--service-account-private-key-file=${join(pki, 'sa.key')}`,
      `--root-ca-file=${join(pki, 'apiserver.crt')}`, '--use-service-account-credentials=true', '--secure-port=0', '--v=0',
    ]);
    procs.start('kube-scheduler', tools.kubeScheduler, [
      `--kubeconfig=${adminConfig}`, `--authentication-kubeconfig=${adminConfig}`, `--authorization-kubeconfig=${adminConfig}`,
      '--leader-elect=false', '--secure-port=0', '--v=0',
    ]);
    await until('kube-controller-manager', async () => (await kubectl(['get', 'serviceaccount', 'default', '-n', 'default'])).code === 0, 60_000, () => procs.tail('kube-controller-manager'));

    // The kubelet, registered with the API server as system:node:<name>.
    await writeFile(join(state, 'kubelet.yaml'), kubeletConfig(layout, { kubelet: kubeletPort, healthz: healthzPort }, dnsIp));
    procs.start('kubelet', tools.kubelet, [
      '--config', join(state, 'kubelet.yaml'), '--root-dir', join(state, 'kubelet'), '--cert-dir', join(state, 'kubelet', 'pki'),
      '--kubeconfig', join(state, 'kubelet.kubeconfig'), '--hostname-override', layout.nodeName, '--node-ip', layout.nodeIp, '--v=1',
    ]);
    await until(
      `node ${layout.nodeName} Ready`,
      async () => (await kubectl(['get', 'node', layout.nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout === 'True',
      90_000,
      () => procs.tail('kubelet'),
    );
    procs.start('kube-proxy', tools.kubeProxy, [
      `--kubeconfig=${adminConfig}`, `--hostname-override=${layout.nodeName}`, '--proxy-mode=iptables', `--cluster-cidr=${layout.podCidr}`,
      '--iptables-localhost-nodeports=false', '--conntrack-max-per-core=0',
      `--metrics-bind-address=127.0.0.1:${proxyMetrics}`, `--healthz-bind-address=127.0.0.1:${proxyHealth}`, '--v=0',
    ]);
    await until('kube-proxy', async () => (await fetch(`http://127.0.0.1:${proxyHealth}/healthz`)).ok, 60_000, () => procs.tail('kube-proxy'));
    const dns = await kubectl(['apply', '-f', '-'], { input: corednsManifest(BASE.coredns, dnsIp) });
    if (dns.code !== 0) throw new Error(`could not deploy CoreDNS: ${dns.stderr}`);
    const rollout = await kubectl(['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=120s']);
    if (rollout.code !== 0) throw new Error(`CoreDNS did not become ready: ${rollout.stderr}\n${(await kubectl(['-n', 'kube-system', 'describe', 'pods'])).stdout.slice(-3000)}`);
    log(`node ${layout.nodeName} (${layout.nodeIp}) Ready with DNS in ${((Date.now() - started) / 1000).toFixed(1)} s; logs in ${logDir}`);
    return {
      kubeconfig: adminConfig,
      nodeName: layout.nodeName,
      nodeIp: layout.nodeIp,
      tools,
      layout,
      logDir,
      baseImages: { node: base.node, nats: base.nats },
      kubectl,
      importImages: load,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll().catch((cleanup: unknown) => log(`cleanup after a failed start also failed: ${(cleanup as Error).message}`));
    throw error;
  }
}
