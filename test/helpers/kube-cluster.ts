import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'node:https';
import { freePort } from '../../cli/tools/nats-server.ts';
import { ensureKubeTools } from './kube-tools.ts';
import type { KubeTools } from './kube-tools.ts';

const run = promisify(execFile);

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestCluster {
  /** Path of an admin kubeconfig. */
  kubeconfig: string;
  /** True when the cluster came from KUBECONFIG (it is not started or stopped here). */
  external: boolean;
  tools: Pick<KubeTools, 'kubectl' | 'helm'>;
  /** Runs kubectl against the cluster; never throws for a non-zero exit. */
  kubectl(args: string[], options?: { input?: string; kubeconfig?: string }): Promise<KubectlResult>;
  /** A kubeconfig that authenticates as a service account (a token from the TokenRequest API). */
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  stop(): Promise<void>;
}

type Log = (line: string) => void;

function kubeconfigYaml(server: string, token: string, insecure: boolean): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${server}`,
    ...(insecure ? ['    insecure-skip-tls-verify: true'] : []),
    'users:',
    '- name: user',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: test',
    '  context:',
    '    cluster: test',
    '    user: user',
    'current-context: test',
    '',
  ].join('\n');
}

function started(name: string, child: ChildProcess, logs: string[]): void {
  const keep = (chunk: Buffer): void => {
    logs.push(chunk.toString());
    if (logs.length > 200) logs.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', (code, signal) => logs.push(`[${name} exited: ${signal ?? code}]`));
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, logs: string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms; last output:\n${logs.join('').slice(-4000)}`);
}

function httpsOk(url: string, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { agent: new Agent({ rejectUnauthorized: false }), headers: { authorization: `Bearer ${token}` }, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * A real Kubernetes API for tests: the cluster in KUBECONFIG when set;
 * otherwise etcd, kube-apiserver (RBAC on, static admin token, service account
 * tokens signed by a generated key) and kube-controller-manager (garbage
 * collection, Deployments → ReplicaSets → Pods), on free ports, with a
 * temporary data dir. There is no kubelet: pods stay Pending.
 */
export async function startTestCluster(log: Log = () => undefined): Promise<TestCluster> {
  if (process.env.KUBECONFIG) {
    const kubeconfig = process.env.KUBECONFIG;
    const kubectl = process.env.COLONY_KUBECTL ?? 'kubectl';
    return makeCluster(kubeconfig, true, { kubectl, helm: process.env.COLONY_HELM ?? 'helm' }, async () => undefined);
  }
  const tools = await ensureKubeTools(log);
  const dir = await mkdtemp(join(tmpdir(), 'colony-kube-'));
  const logs: string[] = [];
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcd = spawn(
      tools.etcd,
      [
        '--data-dir', join(dir, 'etcd'),
        '--name', 'default',
        '--listen-client-urls', `http://127.0.0.1:${etcdPort}`,
        '--advertise-client-urls', `http://127.0.0.1:${etcdPort}`,
        '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
        '--initial-cluster', `default=http://127.0.0.1:${peerPort}`,
        '--unsafe-no-fsync',
        '--log-level', 'warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(etcd);
    started('etcd', etcd, logs);
    await until('etcd', async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok, 30_000, logs);

    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    await writeFile(join(dir, 'sa.key'), privateKey);
    await writeFile(join(dir, 'sa.pub'), publicKey);
    const token = randomBytes(24).toString('hex');
    await writeFile(join(dir, 'tokens.csv'), `${token},admin,admin,system:masters\n`);
    const apiserver = spawn(
      tools.kubeApiserver,
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        `--secure-port=${apiPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--cert-dir=${join(dir, 'certs')}`,
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--service-cluster-ip-range=10.96.0.0/16',
        '--allow-privileged=true',
        '--v=0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(apiserver);
    started('kube-apiserver', apiserver, logs);
    const server = `https://127.0.0.1:${apiPort}`;
    await until('kube-apiserver', () => httpsOk(`${server}/readyz`, token), 120_000, logs);
    const kubeconfig = join(dir, 'admin.kubeconfig');
    await writeFile(kubeconfig, kubeconfigYaml(server, token, true));

    const controllerManager = spawn(
      tools.kubeControllerManager,
      [
        `--kubeconfig=${kubeconfig}`,
        `--authentication-kubeconfig=${kubeconfig}`,
        `--authorization-kubeconfig=${kubeconfig}`,
        '--leader-elect=false',
        `--service-account-private-key-file=${join(dir, 'sa.key')}`,
        '--secure-port=0',
        '--v=0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(controllerManager);
    started('kube-controller-manager', controllerManager, logs);
    const cluster = makeCluster(kubeconfig, false, tools, stop);
    // The service account controller creates `default` in every namespace once it runs.
    await until('kube-controller-manager', async () => (await cluster.kubectl(['get', 'serviceaccount', 'default', '-n', 'default'])).code === 0, 60_000, logs);
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}

function makeCluster(kubeconfig: string, external: boolean, tools: Pick<KubeTools, 'kubectl' | 'helm'>, stop: () => Promise<void>): TestCluster {
  const kubectl = async (args: string[], options: { input?: string; kubeconfig?: string } = {}): Promise<KubectlResult> => {
    return new Promise((resolve) => {
      const child = spawn(tools.kubectl, ['--kubeconfig', options.kubeconfig ?? kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(options.input ?? '');
    });
  };
  // Service-account kubeconfigs hold tokens: written to the temp folder, removed on stop.
  const written: string[] = [];
  return {
    kubeconfig,
    external,
    tools,
    kubectl,
    serviceAccountKubeconfig: async (namespace, name) => {
      const token = await kubectl(['create', 'token', name, '-n', namespace, '--duration', '1h']);
      if (token.code !== 0) throw new Error(`kubectl create token ${namespace}/${name} failed: ${token.stderr}`);
      const { stdout: server } = await run(tools.kubectl, ['--kubeconfig', kubeconfig, 'config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}']);
      const file = join(tmpdir(), `colony-sa-${namespace}-${name}-${process.pid}.kubeconfig`);
      written.push(file);
      await writeFile(file, kubeconfigYaml(server.trim(), token.stdout.trim(), true), { mode: 0o600 });
      return file;
    },
    stop: async () => {
      try {
        await stop();
      } finally {
        await Promise.all(written.splice(0).map((file) => rm(file, { force: true })));
      }
    },
  };
}
