import { spawn } from 'node:child_process';
import { chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubectlResult } from '../kube-cluster.ts';

const CHART = fileURLToPath(new URL('../../../charts/colony', import.meta.url));

/** What the chart tests need of the node (a subset of RealNode, which is what the global setup can hand to test files). */
export interface NodeAccess {
  kubeconfig: string;
  nodeIp: string;
  kubectl: string;
  helm: string;
  /** Folder for the NATS volumes (hostPath). */
  volumes: string;
}

export function exec(command: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => resolve({ code: -1, stdout, stderr: `${stderr}${error.message}` }));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    // The command may exit before reading its input: its exit code says what happened.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/**
 * The README's kind install (`npm run kind:install`): NodePort 30080, image
 * tag dev. `cluster` adds values-cluster.yaml (three NATS servers, R3 KV)
 * with its required anti-affinity dropped: this cluster has one node.
 */
export function helmInstallArgs(values: 'default' | 'cluster'): string[] {
  const args = [
    'upgrade', '--install', 'colony', CHART, '--namespace', 'colony-system', '--create-namespace',
    '--set-string', 'image.tag=dev', '--set', 'gateway.service.type=NodePort,gateway.service.nodePort=30080', '--wait', '--timeout', '5m',
  ];
  if (values === 'cluster') args.push('-f', join(CHART, 'values-cluster.yaml'), '--set', 'nats.affinity=null');
  return args;
}

/**
 * The NATS servers' volumes: the node has no storage provisioner, so one
 * hostPath PersistentVolume per server, owned by the NATS user, for the
 * StatefulSet's claims to bind (as kind's local-path provisioner would make).
 */
export async function natsVolumes(node: NodeAccess, count: number): Promise<void> {
  const docs: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const path = join(node.volumes, `nats-${i}`);
    await rm(path, { recursive: true, force: true });
    await mkdir(path, { recursive: true });
    await chown(path, 65532, 65532);
    docs.push(`apiVersion: v1
kind: PersistentVolume
metadata: { name: colony-nats-${i}, labels: { colony.dev/test-volume: nats } }
spec:
  capacity: { storage: 20Gi }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: { path: ${path}, type: Directory }
`);
  }
  const applied = await exec(node.kubectl, ['--kubeconfig', node.kubeconfig, 'apply', '-f', '-'], { input: docs.join('---\n') });
  if (applied.code !== 0) throw new Error(`could not create the NATS volumes: ${applied.stderr}`);
}

/** Removes the claims and volumes NATS used, so that the next install starts from empty stores. */
export async function dropNatsVolumes(node: NodeAccess): Promise<void> {
  const k = (args: string[]) => exec(node.kubectl, ['--kubeconfig', node.kubeconfig, ...args]);
  await k(['-n', 'colony-system', 'delete', 'pvc', '-l', 'app.kubernetes.io/component=nats', '--wait=true', '--timeout=60s']);
  await k(['delete', 'pv', '-l', 'colony.dev/test-volume=nats', '--wait=true', '--timeout=60s']);
}
