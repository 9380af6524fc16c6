import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/nats-core';
import { startTestCluster } from './kube-cluster.ts';
import type { TestCluster } from './kube-cluster.ts';
import { startTestNats } from './nats.ts';
import type { TestNats } from './nats.ts';

const CONTROLLER = fileURLToPath(new URL('../../controller/main.ts', import.meta.url));
export const CHART = fileURLToPath(new URL('../../charts/colony', import.meta.url));
const CRDS = fileURLToPath(new URL('../../charts/colony/crds', import.meta.url));
export const SYSTEM_NAMESPACE = 'colony-system';
export const TEST_RUNTIME_IMAGE = 'colony/runtime:test';
export const RELEASE = 'colony';

export interface RunningController {
  identity: string;
  process: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface KubePlatform {
  cluster: TestCluster;
  nats: TestNats;
  nc: NatsConnection;
  /** A kubeconfig that acts as the chart's controller ServiceAccount. */
  controllerKubeconfig: string;
  controllers: RunningController[];
  /** kubectl that throws on a non-zero exit. */
  kubectl(...args: string[]): Promise<string>;
  json<T>(...args: string[]): Promise<T>;
  helm(args: string[]): Promise<string>;
  startController(identity: string): Promise<RunningController>;
  leaseHolder(): Promise<string | undefined>;
  deploymentReplicas(name: string, namespace?: string): Promise<number | undefined>;
  /** The controllers' output, for failure messages. */
  controllerLog(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A real API server (see kube-cluster.ts) with Colony's CRD and the chart's
 * controller ServiceAccount and RBAC installed, a real nats-server, and one
 * controller process leading, running as that ServiceAccount.
 */
export async function startKubePlatform(log: (line: string) => void): Promise<KubePlatform> {
  const cluster = await startTestCluster(log);
  // NATS requires a token, as the chart's does: the controller, the gateway and the pods must all send it.
  const nats = await startTestNats({ token: `test-${randomBytes(12).toString('hex')}` });
  const nc = await nats.connect();
  const controllers: RunningController[] = [];
  const kubectl = async (...args: string[]): Promise<string> => {
    const result = await cluster.kubectl(args);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  };
  const json = async <T>(...args: string[]): Promise<T> => JSON.parse(await kubectl(...args, '-o', 'json')) as T;
  const helm = (args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      const child = spawn(cluster.tools.helm, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`helm ${args.join(' ')} failed: ${err}`))));
    });
  const leaseHolder = async (): Promise<string | undefined> => {
    const result = await cluster.kubectl(['get', 'lease', 'colony-controller', '-n', SYSTEM_NAMESPACE, '-o', 'jsonpath={.spec.holderIdentity}']);
    return result.code === 0 ? result.stdout.trim() || undefined : undefined;
  };

  await kubectl('apply', '--server-side', '-f', CRDS);
  await kubectl('wait', '--for=condition=Established', 'crd/agents.colony.dev', '--timeout=60s');
  await cluster.kubectl(['create', 'namespace', SYSTEM_NAMESPACE]);
  const rbac = await helm([
    'template', RELEASE, CHART, '--namespace', SYSTEM_NAMESPACE,
    '--show-only', 'templates/controller-serviceaccount.yaml',
    '--show-only', 'templates/controller-clusterrole.yaml',
    '--show-only', 'templates/controller-clusterrolebinding.yaml',
    '--show-only', 'templates/controller-role.yaml',
    '--show-only', 'templates/controller-rolebinding.yaml',
  ]);
  const applied = await cluster.kubectl(['apply', '-n', SYSTEM_NAMESPACE, '-f', '-'], { input: rbac });
  if (applied.code !== 0) throw new Error(`applying the chart's RBAC failed: ${applied.stderr}`);
  const serviceAccount = (await kubectl('get', 'serviceaccount', '-n', SYSTEM_NAMESPACE, '-l', 'app.kubernetes.io/component=controller', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
  const controllerKubeconfig = await cluster.serviceAccountKubeconfig(SYSTEM_NAMESPACE, serviceAccount);

  const startController = async (identity: string): Promise<RunningController> => {
    const child = spawn(process.execPath, [CONTROLLER], {
      env: {
        ...process.env,
        KUBECONFIG: controllerKubeconfig,
        COLONY_NATS_URL: nats.url,
        COLONY_NATS_TOKEN: nats.token,
        COLONY_RUNTIME_IMAGE: TEST_RUNTIME_IMAGE,
        COLONY_LEASE_NAMESPACE: SYSTEM_NAMESPACE,
        COLONY_POD_NAME: identity,
        COLONY_HEALTH_PORT: '0',
        COLONY_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const running: RunningController = {
      identity,
      process: child,
      output: () => output,
      stop: async (signal = 'SIGTERM') => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill(signal);
        await exited;
      },
    };
    controllers.push(running);
    return running;
  };

  const first = await startController('controller-a');
  const deadline = Date.now() + 30_000;
  while ((await leaseHolder()) !== first.identity) {
    if (Date.now() > deadline) throw new Error(`controller-a did not become the leader:\n${first.output()}`);
    await sleep(500);
  }
  return {
    cluster,
    nats,
    nc,
    controllerKubeconfig,
    controllers,
    kubectl,
    json,
    helm,
    startController,
    leaseHolder,
    deploymentReplicas: async (name, namespace = 'default') => {
      const result = await cluster.kubectl(['get', 'deployment', name, '-n', namespace, '-o', 'jsonpath={.spec.replicas}']);
      return result.code === 0 ? Number(result.stdout) : undefined;
    },
    controllerLog: () => controllers.map((c) => c.output()).join('\n').slice(-6000),
    stop: async () => {
      for (const controller of controllers) await controller.stop('SIGKILL');
      await nats.close();
      await cluster.stop();
    },
  };
}
