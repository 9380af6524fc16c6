import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_NODE_OPTIONS } from '../../agent-runtime/host/own-files.ts';
import type { TestCluster } from './kube-cluster.ts';

const RUNTIME = fileURLToPath(new URL('../../agent-runtime/host/main.ts', import.meta.url));
/** Inside the repository, so agent code's `import 'colony'` resolves as it does under /app in the image. */
const PODS_DIR = fileURLToPath(new URL('../../.colony/test-kubelet', import.meta.url));

interface PodSpec {
  metadata: { name: string; namespace: string; deletionTimestamp?: string };
  spec: {
    containers: {
      env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
      envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
      volumeMounts?: { name: string; mountPath: string }[];
    }[];
    volumes?: { name: string; configMap?: { name: string; items?: { key: string; path: string }[] } }[];
  };
}

export interface MiniKubelet {
  /** Names of the pods running as local processes now. */
  running(): string[];
  /** Everything the pods printed, by pod. */
  output(pod: string): string;
  stop(): Promise<void>;
}

/**
 * Stands in for the kubelet this test cluster lacks: every pod of the
 * selector becomes a local runtime process, with the environment Kubernetes
 * would give its container (env, envFrom ConfigMaps and Secrets, the downward API) and its
 * ConfigMap volumes written to disk; a deleted pod's process gets SIGTERM and
 * drains. Only runtime pods (the stock runtime with code from a ConfigMap) can
 * run this way.
 */
export function startMiniKubelet(cluster: TestCluster, namespace: string, selector: string): MiniKubelet {
  const processes = new Map<string, { child: ChildProcess; output: string[] }>();
  let stopped = false;
  const json = async <T>(args: string[]): Promise<T> => {
    const result = await cluster.kubectl([...args, '-o', 'json']);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };
  const configMap = async (name: string): Promise<Record<string, string>> =>
    (await json<{ data?: Record<string, string> }>(['get', 'configmap', name, '-n', namespace])).data ?? {};

  const secret = async (name: string): Promise<Record<string, string>> => {
    const data = (await json<{ data?: Record<string, string> }>(['get', 'secret', name, '-n', namespace])).data ?? {};
    return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
  };

  const reportReady = async (name: string): Promise<void> => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const condition = (type: string) => ({ type, status: 'True', lastTransitionTime: now });
    const status = { phase: 'Running', startTime: now, conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(condition) };
    await cluster.kubectl(['patch', 'pod', name, '-n', namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  };

  const launch = async (pod: PodSpec): Promise<void> => {
    const container = pod.spec.containers[0];
    if (!container) return;
    const env: Record<string, string> = {};
    for (const from of container.envFrom ?? []) {
      if (from.configMapRef) Object.assign(env, await configMap(from.configMapRef.name));
      if (from.secretRef) Object.assign(env, await secret(from.secretRef.name));
    }
    for (const variable of container.env ?? []) {
      const field = variable.valueFrom?.fieldRef?.fieldPath;
      if (field === 'metadata.name') env[variable.name] = pod.metadata.name;
      else if (field === 'metadata.namespace') env[variable.name] = pod.metadata.namespace;
      else if (variable.value !== undefined) env[variable.name] = variable.value;
    }
    // ConfigMap volumes are written under the pod's own folder (one per member for a placement group's pod); paths under them are rewritten.
    const root = join(PODS_DIR, pod.metadata.name);
    for (const mount of container.volumeMounts ?? []) {
      const volume = pod.spec.volumes?.find((v) => v.name === mount.name)?.configMap;
      if (!volume) continue;
      const data = await configMap(volume.name);
      const dir = join(root, mount.mountPath);
      await mkdir(dir, { recursive: true });
      for (const item of volume.items ?? Object.keys(data).map((key) => ({ key, path: key }))) {
        await writeFile(join(dir, item.path), data[item.key] ?? '');
      }
      // A module path under the mount, alone or in a placement group's JSON list of members, points into the pod's folder.
      // (Mount paths are /tmp and /app/agents/<agent>: nothing in them means anything to a RegExp.)
      const under = new RegExp(`(^|")${mount.mountPath}/`, 'g');
      for (const [name, value] of Object.entries(env)) env[name] = value.replace(under, `$1${join(root, mount.mountPath)}/`);
    }
    env.COLONY_HEALTH_PORT = '0';
    env.COLONY_PARENT_PID = String(process.pid);
    // The container's terminationMessagePath (/dev/termination-log), as a kubelet mounts it: a file of the pod's own.
    if (env.COLONY_TERMINATION_LOG) env.COLONY_TERMINATION_LOG = join(root, 'termination-log');
    const child = spawn(process.execPath, [...AGENT_NODE_OPTIONS, RUNTIME], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    let reported = false;
    const collect = (chunk: Buffer): void => {
      output.push(chunk.toString());
      // Once the runtime says it started, the pod is Running and Ready, as a kubelet reports it after the
      // readiness probe passes: ReplicaSets rank and Deployments roll pods by it.
      if (!reported && chunk.toString().includes('"pod started"')) {
        reported = true;
        void reportReady(pod.metadata.name);
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    processes.set(pod.metadata.name, { child, output });
    child.on('exit', () => {
      if (processes.get(pod.metadata.name)?.child === child) processes.delete(pod.metadata.name);
    });
  };

  const sync = async (): Promise<void> => {
    const { items } = await json<{ items: PodSpec[] }>(['get', 'pods', '-n', namespace, '-l', selector]);
    const live = new Set(items.filter((pod) => !pod.metadata.deletionTimestamp).map((pod) => pod.metadata.name));
    for (const pod of items) if (live.has(pod.metadata.name) && !processes.has(pod.metadata.name)) await launch(pod);
    for (const [name, { child }] of processes) if (!live.has(name) && child.exitCode === null) child.kill('SIGTERM');
  };

  const loop = (async () => {
    while (!stopped) {
      await sync().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  })();

  return {
    running: () => [...processes.keys()],
    output: (pod) => processes.get(pod)?.output.join('') ?? '',
    stop: async () => {
      stopped = true;
      await loop;
      await Promise.all(
        [...processes.values()].map(
          ({ child }) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
            }),
        ),
      );
      await rm(PODS_DIR, { recursive: true, force: true });
    },
  };
}
