import { expect } from 'vitest';
import { runColony } from '../helpers/colony-dev.ts';
import { dropNatsVolumes, exec, helmInstallArgs, natsVolumes } from '../helpers/realnode/chart.ts';
import type { KubectlResult } from '../helpers/kube-cluster.ts';
import { realNode } from './node-info.ts';
import type { RealNodeInfo } from './node-info.ts';

/** What a test does on the real node, the way a user would: kubectl, helm, colony, curl to the NodePort. */
export interface Cluster {
  node: RealNodeInfo;
  /** The gateway's NodePort on the node's address (what `curl localhost:8080` reaches on kind). */
  gateway: string;
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /** kubectl that must succeed; returns its stdout. */
  must(args: string[], input?: string): Promise<string>;
  json<T>(args: string[]): Promise<T>;
  helm(args: string[]): Promise<KubectlResult>;
  /** `colony manifest <folder> | kubectl apply -f -` */
  applyManifestOf(folder: string): Promise<void>;
  call(agent: string, key: string, method: string, input?: unknown): Promise<{ status: number; body: unknown }>;
  /** The names of the Agent's runtime pods that run (phase Running, not being deleted). */
  runningPods(agent: string): Promise<string[]>;
  /** Installs the chart (default or cluster values) on fresh NATS volumes; returns how long `helm --wait` took. */
  install(values: 'default' | 'cluster'): Promise<number>;
  /** Deletes every Agent (their pods drain) and uninstalls the chart, then the NATS volumes. */
  uninstall(): Promise<void>;
  /** A failing step's context: pods, events and the controller's log. */
  diagnose(): Promise<string>;
}

export function cluster(): Cluster {
  const node = realNode();
  const gateway = `http://${node.nodeIp}:30080`;
  const kubectl = (args: string[], input?: string) => exec(node.kubectl, ['--kubeconfig', node.kubeconfig, ...args], input === undefined ? {} : { input });
  const must = async (args: string[], input?: string): Promise<string> => {
    const result = await kubectl(args, input);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${result.code}): ${result.stderr}`);
    return result.stdout;
  };
  const helm = (args: string[]) => exec(node.helm, args, { env: { KUBECONFIG: node.kubeconfig } });
  const self: Cluster = {
    node,
    gateway,
    kubectl,
    must,
    json: async <T>(args: string[]) => JSON.parse(await must([...args, '-o', 'json'])) as T,
    helm,
    applyManifestOf: async (folder) => {
      const manifest = await runColony(['manifest', folder]);
      expect(manifest.code, manifest.stderr).toBe(0);
      await must(['apply', '-f', '-'], manifest.stdout);
    },
    call: async (agent, key, method, input) => {
      const response = await fetch(`${gateway}/v1/agents/${agent}/${encodeURIComponent(key)}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-colony-timeout': '20s' },
        body: input === undefined ? '' : JSON.stringify(input),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
    },
    runningPods: async (agent) => {
      const pods = await self.json<{ items: { metadata: { name: string; deletionTimestamp?: string }; status: { phase: string } }[] }>([
        'get', 'pods', '-n', 'default', '-l', `colony.dev/agent=${agent}`,
      ]);
      return pods.items.filter((p) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp).map((p) => p.metadata.name);
    },
    install: async (values) => {
      await natsVolumes(node, values === 'cluster' ? 3 : 1);
      const started = Date.now();
      const installed = await helm(helmInstallArgs(values));
      if (installed.code !== 0) throw new Error(`helm install (${values} values) failed: ${installed.stderr}\n${await self.diagnose()}`);
      return Date.now() - started;
    },
    uninstall: async () => {
      await kubectl(['delete', 'agents', '--all', '-n', 'default', '--wait=true', '--timeout=120s']);
      const removed = await helm(['uninstall', 'colony', '-n', 'colony-system', '--wait', '--timeout', '2m']);
      if (removed.code !== 0) throw new Error(`helm uninstall failed: ${removed.stderr}`);
      await dropNatsVolumes(node);
    },
    diagnose: async () => {
      const parts = await Promise.all([
        kubectl(['get', 'pods', '-A', '-o', 'wide']),
        kubectl(['get', 'events', '-A', '--sort-by=.lastTimestamp']),
        kubectl(['-n', 'colony-system', 'logs', '-l', 'app.kubernetes.io/component=controller', '--tail=40', '--prefix']),
      ]);
      return parts.map((p) => (p.stdout + p.stderr).slice(-4000)).join('\n---\n');
    },
  };
  return self;
}
