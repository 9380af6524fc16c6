import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION } from '../../controller/kubernetes/labels.ts';
import { LEAVING_POD_DELETION_COST } from '../../controller/drivers/kubernetes/kube-driver.ts';
import { runColony } from '../helpers/colony-dev.ts';
import { podsRunElsewhere, useKubePods } from '../helpers/kube-pods.ts';
import { startLoad } from '../helpers/load.ts';

const COUNTER = fileURLToPath(new URL('../../examples/k8s/counter.yaml', import.meta.url));
const APPROVAL = fileURLToPath(new URL('../../examples/approval', import.meta.url));

/**
 * Agents on Kubernetes, called end to end: the controller (as the chart's
 * ServiceAccount) turns examples/k8s/counter.yaml into a Deployment; the
 * cluster's controller-manager makes pods; a stand-in kubelet runs each pod
 * as a runtime process with the environment and ConfigMap volumes Kubernetes
 * would give it; a gateway calls the Agent over NATS.
 */
const external = podsRunElsewhere('test/k8s/pods.test.ts');

describe.skipIf(external)('Agents on Kubernetes, end to end', () => {
  const pods = useKubePods();

  const call = async (key: string, method: string, input?: unknown): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${pods.gateway.url}/v1/agents/counter/${key}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-colony-timeout': '20s' },
      body: input === undefined ? '' : JSON.stringify(input),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const agentStatus = async () =>
    (await pods.platform.json<{ status?: { readyReplicas?: number; partitionsServed?: number; conditions?: { type: string; status: string; reason: string }[] } }>('get', 'agent', 'counter'))
      .status;

  it('deploys examples/k8s/counter.yaml with one kubectl apply and serves calls through the gateway', async () => {
    await pods.platform.kubectl('apply', '-f', COUNTER);
    await expect.poll(() => pods.kubelet.running().length, { timeout: 60_000, interval: 500 }).toBe(1);
    expect(await call('alice', 'increment', { by: 2 })).toEqual({ status: 200, body: { count: 2 } });
    await expect
      .poll(async () => (await agentStatus())?.conditions?.find((c) => c.type === 'Ready'), { timeout: 30_000, interval: 500 })
      .toMatchObject({ status: 'True', reason: 'AllPartitionsServed' });
    expect(await pods.platform.kubectl('get', 'agents')).toMatch(/^counter\s+auto\s+1\s+1\s+64\/64\s+\d+\s+AllPartitionsServed\s+/m);
  });

  it('scales 1 → 3 → 1 with kubectl under load, removes the pods it drained, and fails no call', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    const load = startLoad(pods.gateway.url, { agent: 'counter', method: 'increment', keys, workers: 4 });
    await pods.platform.kubectl('patch', 'agent', 'counter', '--type=merge', '-p', '{"spec":{"scaling":{"mode":"manual","replicas":3}}}');
    await expect.poll(() => pods.kubelet.running().length, { timeout: 60_000, interval: 500 }).toBe(3);
    await expect.poll(async () => (await agentStatus())?.readyReplicas, { timeout: 30_000, interval: 500 }).toBe(3);
    const before = new Set(pods.kubelet.running());
    // Every pod the ReplicaSet deletes, with the pod-deletion-cost it carried when it went.
    const deleted = new Map<string, string | undefined>();
    const kc = new KubeConfig();
    kc.loadFromFile(pods.platform.cluster.kubeconfig);
    const watch = await new Watch(kc).watch(
      '/api/v1/namespaces/default/pods',
      { labelSelector: 'app.kubernetes.io/component=runtime' },
      (type: string, pod: V1Pod) => {
        if (type === 'DELETED' && pod.metadata?.name) deleted.set(pod.metadata.name, pod.metadata.annotations?.[ANNOTATION.podDeletionCost]);
      },
      () => undefined,
    );
    await pods.platform.kubectl('scale', 'agent/counter', '--replicas=1');
    await expect.poll(() => pods.kubelet.running().length, { timeout: 60_000, interval: 500 }).toBe(1);
    watch.abort();
    // The ReplicaSet removed the pods the controller drained and marked, not the one left serving.
    const removed = [...before].filter((pod) => !pods.kubelet.running().includes(pod));
    expect(removed).toHaveLength(2);
    expect(Object.fromEntries(removed.map((pod) => [pod, deleted.get(pod)]))).toEqual(
      Object.fromEntries(removed.map((pod) => [pod, LEAVING_POD_DELETION_COST])),
    );
    await expect.poll(async () => (await agentStatus())?.partitionsServed, { timeout: 30_000, interval: 500 }).toBe(64);
    await load.stop();
    expect(load.failures).toEqual([]);
    expect(load.sent).toBeGreaterThan(50);
    expect(before.has(pods.kubelet.running()[0] as string)).toBe(true);
    for (const key of keys) expect((await call(key, 'get')).body).toEqual({ count: load.acknowledged.get(key) ?? 0 });
  });

  it('runs a workflow deployed with colony manifest | kubectl apply (examples/approval): start, event, result', async () => {
    const { code, stdout, stderr } = await runColony(['manifest', APPROVAL]);
    expect(code, stderr).toBe(0);
    await pods.platform.cluster.kubectl(['apply', '-f', '-'], { input: stdout });
    await expect.poll(() => pods.kubelet.running().some((pod) => pod.startsWith('approval-')), { timeout: 60_000, interval: 500 }).toBe(true);
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${pods.gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-colony-timeout': '30s' }, body: JSON.stringify(body) });
    expect((await post('/v1/workflows/approval/on-k8s', { amount: 7, timeoutMs: 120_000 })).status).toBe(202);
    expect((await post('/v1/workflows/approval/on-k8s/events/decision', { approved: true })).status).toBe(202);
    const done = (await (await fetch(`${pods.gateway.url}/v1/workflows/approval/on-k8s?wait=30s`)).json()) as Record<string, unknown>;
    expect(done).toMatchObject({ status: 'completed', output: { approved: true, timedOut: false } });
  });

  it('rolls the pods when the code in the ConfigMap changes', async () => {
    const manifest = await readFile(COUNTER, 'utf8');
    const changed = manifest.replace('ctx.state.count += input.by ?? 1;', 'ctx.state.count += (input.by ?? 1) * 10;');
    expect(changed).not.toBe(manifest);
    const before = pods.kubelet.running()[0];
    await pods.platform.cluster.kubectl(['apply', '-f', '-'], { input: changed });
    await expect.poll(() => pods.kubelet.running().some((pod) => pod !== before), { timeout: 60_000, interval: 500 }).toBe(true);
    // A fresh key each time: the first increment of a key counts 10 once the new code serves it.
    let attempt = 0;
    await expect
      .poll(async () => (await call(`tenfold-${(attempt += 1)}`, 'increment', { by: 1 })).body, { timeout: 60_000, interval: 1_000 })
      .toEqual({ count: 10 });
  });
});
