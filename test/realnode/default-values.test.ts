import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad } from '../helpers/load.ts';
import type { LoadRecorder } from '../helpers/load.ts';
import { cluster } from './cluster-access.ts';
import type { Cluster } from './cluster-access.ts';

const COUNTER = fileURLToPath(new URL('../../examples/k8s/counter.yaml', import.meta.url));
const GPU = fileURLToPath(new URL('../../examples/k8s/gpu-agent.yaml', import.meta.url));
const SHOP = fileURLToPath(new URL('../../examples/k8s/shop.yaml', import.meta.url));
const ACCOUNT = fileURLToPath(new URL('../../examples/account', import.meta.url));
const BUSY = fileURLToPath(new URL('../fixtures/agents/busy', import.meta.url));
const SLEEPY = fileURLToPath(new URL('../fixtures/agents/sleepy', import.meta.url));

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const report = (line: string): void => void process.stderr.write(`[realnode] ${line}\n`);

/** Every acknowledged increment counted once: a key's count is its acknowledged calls, plus at most its failed ones. */
async function expectCounted(c: Cluster, load: LoadRecorder, keys: string[]): Promise<void> {
  for (const key of keys) {
    const { body } = await c.call('counter', key, 'get');
    const acknowledged = load.acknowledged.get(key) ?? 0;
    const failed = load.failures.filter((f) => f.key === key).length;
    const count = (body as { count: number }).count;
    expect(count, `counter/${key}: ${acknowledged} acknowledged, ${failed} failed`).toBeGreaterThanOrEqual(acknowledged);
    expect(count, `counter/${key}: ${acknowledged} acknowledged, ${failed} failed`).toBeLessThanOrEqual(acknowledged + failed);
  }
}

/**
 * The chart installed for real on a real node, with its default values, and
 * a user's path through it: kubectl apply, curl, kubectl scale, pods deleted
 * and rolled under load, the controller's leader lost, a GPU Agent, and
 * helm uninstall. Each step as docs/kubernetes.md tells it.
 */
describe('Colony on a real node, default values', () => {
  let c: Cluster;

  beforeAll(async () => {
    c = cluster();
    const t = c.node.timings;
    report(`node Ready ${seconds(t.nodeReadyMs)}, images built ${seconds(t.imagesBuiltMs)}, imported ${seconds(t.imagesImportedMs)}`);
    report(`images: ${c.node.images.map((i) => `${i.ref} ${(i.bytes / 1e6).toFixed(0)} MB`).join(', ')}`);
    report(`helm upgrade --install --wait (default values): ${seconds(await c.install('default'))}`);
  });

  afterAll(async () => {
    // The last test uninstalls; this is for a run that failed before it.
    if (c && (await c.helm(['status', 'colony', '-n', 'colony-system'])).code === 0) await c.uninstall();
  });

  it('runs the chart as non-root with read-only root filesystems', async () => {
    const pods = await c.json<{ items: { metadata: { name: string }; status: { phase: string } }[] }>(['get', 'pods', '-n', 'colony-system']);
    expect(pods.items.map((p) => p.status.phase)).toEqual(pods.items.map(() => 'Running'));
    for (const target of ['deploy/colony-gateway', 'deploy/colony-controller', 'statefulset/colony-nats']) {
      const id = await c.kubectl(['-n', 'colony-system', 'exec', target, '--', 'id', '-u']);
      expect(id.stdout.trim(), `${target}: ${id.stderr}`).toBe('65532');
      const write = await c.kubectl(['-n', 'colony-system', 'exec', target, '--', 'touch', '/probe']);
      expect(write.code, target).not.toBe(0);
      expect(write.stderr, target).toMatch(/Read-only file system/);
    }
  });

  it('kubectl apply -f examples/k8s/counter.yaml → a runtime pod → curl the NodePort → {"count":2}', async () => {
    const applied = Date.now();
    await c.must(['apply', '-f', COUNTER]);
    await expect.poll(() => c.runningPods('counter'), { timeout: 90_000, interval: 250 }).toHaveLength(1);
    let first = { status: 0, body: undefined as unknown };
    await expect.poll(async () => (first = await c.call('counter', 'alice', 'increment', { by: 2 })).status, { timeout: 60_000, interval: 250 }).toBe(200);
    report(`kubectl apply → first call answered: ${seconds(Date.now() - applied)}`);
    expect(first.body).toEqual({ count: 2 });
    const curl = await fetch(`${c.gateway}/v1/agents/counter/alice/increment`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"by":2}' });
    expect(await curl.json()).toEqual({ count: 4 });
    await expect
      .poll(async () => (await c.must(['get', 'agents'])).trim(), { timeout: 30_000, interval: 500 })
      .toMatch(/^counter\s+auto\s+1\s+1\s+64\/64\s+\d+\s+AllPartitionsServed\s+/m);
    const runtime = (await c.runningPods('counter'))[0] as string;
    expect((await c.kubectl(['exec', runtime, '--', 'id', '-u'])).stdout.trim()).toBe('65532');
    expect((await c.kubectl(['exec', runtime, '--', 'touch', '/app/probe'])).stderr).toMatch(/Read-only file system/);
  });

  it('colony manifest examples/account | kubectl apply -f - → a transfer between two accounts', async () => {
    await c.applyManifestOf(ACCOUNT);
    await expect.poll(async () => (await c.call('account', 'ann', 'deposit', { amount: 100 })).status, { timeout: 90_000, interval: 500 }).toBe(200);
    expect(await c.call('account', 'ann', 'transfer', { to: 'bob', amount: 30 })).toEqual({ status: 200, body: { balance: 70 } });
    expect((await c.call('account', 'bob', 'balance')).body).toEqual({ balance: 30 });
    expect((await c.call('account', 'ann', 'transfer', { to: 'bob', amount: 71 })).status).toBe(409);
    await c.must(['delete', 'agent', 'account']);
  });

  it('kubectl scale agent/counter --replicas=3 and back to 1 under load: partitions move, no call fails, nothing lost', async () => {
    await c.must(['patch', 'agent', 'counter', '--type=merge', '-p', '{"spec":{"scaling":{"mode":"manual","replicas":1}}}']);
    const keys = Array.from({ length: 16 }, (_, i) => `s${i}`);
    const load = startLoad(c.gateway, { agent: 'counter', method: 'increment', keys, workers: 4 });
    await c.must(['scale', 'agent/counter', '--replicas=3']);
    await expect.poll(() => c.runningPods('counter'), { timeout: 90_000, interval: 500 }).toHaveLength(3);
    const status = async () => (await c.json<{ status?: { readyReplicas?: number; partitionsServed?: number } }>(['get', 'agent', 'counter'])).status;
    await expect.poll(async () => (await status())?.readyReplicas, { timeout: 60_000, interval: 500 }).toBe(3);
    await c.must(['scale', 'agent/counter', '--replicas=1']);
    await expect.poll(() => c.runningPods('counter'), { timeout: 90_000, interval: 500 }).toHaveLength(1);
    await expect.poll(async () => (await status())?.partitionsServed, { timeout: 30_000, interval: 500 }).toBe(64);
    await load.stop();
    expect(load.failures).toEqual([]);
    expect(load.sent).toBeGreaterThan(100);
    await expectCounted(c, load, keys);
  });

  it('autoscales under load: pods are added while turns pile up, and no call fails', async () => {
    await c.applyManifestOf(BUSY);
    await expect.poll(() => c.runningPods('busy'), { timeout: 90_000, interval: 500 }).toHaveLength(1);
    const keys = Array.from({ length: 24 }, (_, i) => `b${i}`);
    const load = startLoad(c.gateway, { agent: 'busy', method: 'work', keys, workers: 16, input: {} });
    await expect.poll(async () => (await c.runningPods('busy')).length, { timeout: 60_000, interval: 500 }).toBeGreaterThan(1);
    const reason = await c.must(['get', 'agent', 'busy', '-o', 'jsonpath={.status.scalingReason}']);
    report(`busy scaled to ${(await c.runningPods('busy')).length} pods: ${reason}`);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await load.stop();
    expect(load.failures).toEqual([]);
    await c.must(['delete', 'agent', 'busy']);
  });

  it('scales an Agent to zero when quiet, and back through the gateway on the next call', async () => {
    await c.applyManifestOf(SLEEPY);
    const replicas = () => c.must(['get', 'deployment', 'sleepy-agent', '-o', 'jsonpath={.spec.replicas}']).catch(() => '');
    await expect.poll(replicas, { timeout: 60_000, interval: 500 }).toBe('0');
    const woke = Date.now();
    const { status } = await c.call('sleepy', 'nap', 'hello');
    report(`a call to an Agent at zero answered in ${seconds(Date.now() - woke)} (a pod started for it)`);
    expect(status).toBe(200);
    expect(await replicas()).toBe('1');
    await expect.poll(replicas, { timeout: 60_000, interval: 500 }).toBe('0');
    await c.must(['delete', 'agent', 'sleepy']);
  });

  it('kubectl delete pod of a runtime pod under load: no acknowledged increment lost or doubled', async () => {
    await c.must(['scale', 'agent/counter', '--replicas=2']);
    await expect.poll(() => c.runningPods('counter'), { timeout: 90_000, interval: 500 }).toHaveLength(2);
    const keys = Array.from({ length: 16 }, (_, i) => `d${i}`);
    const load = startLoad(c.gateway, { agent: 'counter', method: 'increment', keys, workers: 4 });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const [victim] = await c.runningPods('counter');
    await c.must(['delete', 'pod', victim as string]);
    await expect.poll(async () => (await c.runningPods('counter')).filter((p) => p !== victim), { timeout: 90_000, interval: 500 }).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await load.stop();
    report(`delete pod under load: ${load.sent} calls, ${load.failures.length} failed`);
    expect(load.failures).toEqual([]);
    await expectCounted(c, load, keys);
  });

  it("rolls the Agent's code under load: no call fails, and the new code serves after", async () => {
    const keys = Array.from({ length: 16 }, (_, i) => `r${i}`);
    const before = await c.runningPods('counter');
    const load = startLoad(c.gateway, { agent: 'counter', method: 'get', keys, workers: 4, input: {} });
    const manifest = await readFile(COUNTER, 'utf8');
    const changed = manifest.replace('ctx.state.count += input.by ?? 1;', 'ctx.state.count += (input.by ?? 1) * 10;');
    expect(changed).not.toBe(manifest);
    await c.must(['apply', '-f', '-'], changed);
    await expect.poll(async () => (await c.runningPods('counter')).filter((p) => !before.includes(p)), { timeout: 120_000, interval: 500 }).toHaveLength(2);
    await expect.poll(async () => (await c.runningPods('counter')).length, { timeout: 60_000, interval: 500 }).toBe(2);
    await load.stop();
    expect(load.failures).toEqual([]);
    expect((await c.call('counter', 'tenfold', 'increment', { by: 1 })).body).toEqual({ count: 10 });
    // Back to the example's code, and on until every pod serves it (a fresh key counts 1).
    await c.must(['apply', '-f', COUNTER]);
    let attempt = 0;
    await expect.poll(async () => (await c.call('counter', `once-${(attempt += 1)}`, 'increment', { by: 1 })).body, { timeout: 120_000, interval: 1_000 }).toEqual({ count: 1 });
    await c.must(['rollout', 'status', 'deployment/counter-agent', '--timeout=120s']);
    const settled = await c.runningPods('counter');
    for (let i = 0; i < 20; i += 1) expect((await c.call('counter', `settled-${i}`, 'increment', { by: 1 })).body, settled.join(', ')).toEqual({ count: 1 });
  });

  it("loses the controller's leader pod: the other takes over and the next change is applied", async () => {
    const holder = () => c.must(['-n', 'colony-system', 'get', 'lease', 'colony-controller', '-o', 'jsonpath={.spec.holderIdentity}']);
    const leader = await holder();
    expect(leader).toMatch(/^colony-controller-/);
    const keys = ['l0', 'l1', 'l2', 'l3'];
    const load = startLoad(c.gateway, { agent: 'counter', method: 'increment', keys, workers: 2 });
    const lost = Date.now();
    await c.must(['-n', 'colony-system', 'delete', 'pod', leader]);
    await expect.poll(holder, { timeout: 60_000, interval: 250 }).toMatch(/^colony-controller-/);
    await expect.poll(async () => (await holder()) !== leader && (await holder()) !== '', { timeout: 60_000, interval: 250 }).toBe(true);
    report(`leader ${leader} deleted; ${await holder()} leads after ${seconds(Date.now() - lost)}`);
    await c.must(['scale', 'agent/counter', '--replicas=1']);
    await expect.poll(() => c.runningPods('counter'), { timeout: 90_000, interval: 500 }).toHaveLength(1);
    await load.stop();
    expect(load.failures).toEqual([]);
    await expectCounted(c, load, keys);
  });

  it('kubectl apply -f examples/k8s/shop.yaml → one Deployment for the group; a purchase and its customer answer from one pod', async () => {
    await c.must(['apply', '-f', SHOP]);
    await expect.poll(() => c.runningPods('shop'), { timeout: 90_000, interval: 500 }).toHaveLength(2);
    let placed = { status: 0, body: undefined as unknown };
    await expect.poll(async () => (placed = await c.call('purchase', 'tenant7:1', 'place', { amount: 30 })).status, { timeout: 60_000, interval: 500 }).toBe(200);
    const body = placed.body as { purchase: string; customer: { orders: number }; pod: string; customerPod: string };
    expect(body).toMatchObject({ purchase: 'tenant7:1', customer: { orders: 1 } });
    expect(body.customerPod).toBe(body.pod);
    expect(await c.runningPods('shop')).toContain(body.pod);
    await expect.poll(async () => (await c.must(['get', 'agents', '-o', 'wide'])).trim(), { timeout: 30_000, interval: 500 }).toMatch(/^purchase\s+shop\s+/m);
    await c.must(['delete', '-f', SHOP]);
    await expect.poll(() => c.runningPods('shop'), { timeout: 90_000, interval: 500 }).toHaveLength(0);
  });

  it("reads a dataset from a local volume on the node it is pinned to (docs/kubernetes.md's pattern)", async () => {
    const disk = await mkdtemp('/var/tmp/colony-realnode-disk-');
    try {
      // What a node provisioning step leaves on the node's disk: readable by the runtime's user (65532).
      await chmod(disk, 0o755);
      await writeFile(`${disk}/products.json`, JSON.stringify([{ sku: 'lamp', price: 30 }, { sku: 'desk', price: 120 }]), { mode: 0o644 });
      const node = c.node.nodeName;
      const code = [
        "import { readFile } from 'node:fs/promises';",
        "import { defineAgent } from 'colony';",
        'export const catalog = defineAgent({',
        '  state: () => ({}),',
        '  methods: {',
        '    async price(ctx) {',
        "      const products = JSON.parse(await readFile('/data/index/products.json', 'utf8'));",
        '      return { sku: ctx.key, price: products.find((p) => p.sku === ctx.key)?.price ?? null, pod: ctx.podId };',
        '    },',
        '  },',
        '});',
      ].join('\n');
      const manifests = [
        { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'catalog-index' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'local-data', persistentVolumeReclaimPolicy: 'Retain', local: { path: disk }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } } } },
        { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'catalog-index', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'local-data', volumeName: 'catalog-index', resources: { requests: { storage: '1Gi' } } } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'catalog-source', namespace: 'default' }, data: { 'catalog.ts': code } },
        {
          apiVersion: 'colony.dev/v1alpha1',
          kind: 'Agent',
          metadata: { name: 'catalog', namespace: 'default' },
          spec: {
            module: 'catalog.ts',
            source: { configMapRef: { name: 'catalog-source' } },
            nodeSelector: { 'kubernetes.io/hostname': node },
            volumes: [{ name: 'index', persistentVolumeClaim: { claimName: 'catalog-index', readOnly: true } }],
            volumeMounts: [{ name: 'index', mountPath: '/data/index', readOnly: true }],
          },
        },
      ];
      await c.must(['apply', '-f', '-'], manifests.map((m) => JSON.stringify(m)).join('\n---\n'));
      await expect.poll(() => c.runningPods('catalog'), { timeout: 90_000, interval: 500 }).toHaveLength(1);
      let answer = { status: 0, body: undefined as unknown };
      await expect.poll(async () => (answer = await c.call('catalog', 'desk', 'price')).status, { timeout: 60_000, interval: 500 }).toBe(200);
      expect(answer.body).toMatchObject({ sku: 'desk', price: 120 });
      const pod = (await c.runningPods('catalog'))[0] as string;
      expect((await c.kubectl(['exec', pod, '--', 'touch', '/data/index/probe'])).stderr).toMatch(/Read-only file system/);
      await c.must(['delete', 'agent', 'catalog']);
      await expect.poll(() => c.runningPods('catalog'), { timeout: 90_000, interval: 500 }).toHaveLength(0);
      await c.must(['delete', 'pvc/catalog-index', 'configmap/catalog-source', '--wait=true']);
      await c.must(['delete', 'pv', 'catalog-index', '--wait=true']);
    } finally {
      await rm(disk, { recursive: true, force: true });
    }
  });

  it('places the GPU Agent only on a node with a free GPU, and says in words why a second pod is Pending', async () => {
    const node = c.node.nodeName;
    await c.must(['label', 'node', node, 'nvidia.com/gpu.present=true', '--overwrite']);
    // What the NVIDIA device plugin would do: advertise one GPU in the node's status.
    await c.must(['patch', 'node', node, '--subresource=status', '--type=json', '-p', '[{"op":"add","path":"/status/capacity/nvidia.com~1gpu","value":"1"}]']);
    await expect.poll(() => c.must(['get', 'node', node, '-o', 'jsonpath={.status.allocatable.nvidia\\.com/gpu}']), { timeout: 30_000, interval: 500 }).toBe('1');
    await c.must(['apply', '-f', GPU]);
    await expect.poll(() => c.runningPods('embedder'), { timeout: 90_000, interval: 500 }).toHaveLength(1);
    const placed = await c.json<{ items: { spec: { nodeName: string } }[] }>(['get', 'pods', '-l', 'colony.dev/agent=embedder']);
    expect(placed.items.map((p) => p.spec.nodeName)).toEqual([node]);
    await expect.poll(async () => (await c.call('embedder', 'doc', 'embed', { text: 'hello' })).status, { timeout: 60_000, interval: 500 }).toBe(200);
    await c.must(['scale', 'agent/embedder', '--replicas=2']);
    const degraded = async () =>
      (await c.json<{ status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } }>(['get', 'agent', 'embedder'])).status?.conditions?.find(
        (cond) => cond.type === 'Degraded',
      );
    await expect.poll(degraded, { timeout: 60_000, interval: 500 }).toMatchObject({ status: 'True', reason: 'Unschedulable' });
    expect((await degraded())?.message).toMatch(/^1 of 2 pods cannot be scheduled: 0\/1 nodes are available: .*Insufficient nvidia\.com\/gpu/);
    const events = await c.must(['get', 'events', '--field-selector', 'involvedObject.kind=Agent,involvedObject.name=embedder,reason=Unschedulable', '-o', 'jsonpath={.items[*].message}']);
    expect(events).toMatch(/Insufficient nvidia\.com\/gpu/);
    expect((await c.must(['get', 'agents', 'embedder'])).trim()).toMatch(/embedder\s+manual\s+2\s+1\s+/);
    await c.must(['delete', '-f', GPU]);
    await c.must(['label', 'node', node, 'nvidia.com/gpu.present-']);
  });

  it('helm uninstall leaves nothing behind but the NATS volume claims (and the CRD)', async () => {
    await c.kubectl(['delete', 'agents', '--all', '--wait=true', '--timeout=120s']);
    await expect.poll(() => c.must(['get', 'deployments,pods', '-n', 'default', '-l', 'app.kubernetes.io/part-of=colony', '-o', 'name']), { timeout: 90_000, interval: 500 }).toBe('');
    const removed = await c.helm(['uninstall', 'colony', '-n', 'colony-system', '--wait', '--timeout', '2m']);
    expect(removed.code, removed.stderr).toBe(0);
    await expect.poll(() => c.must(['get', 'pods', '-n', 'colony-system', '-o', 'name']), { timeout: 90_000, interval: 500 }).toBe('');
    const left = await c.must([
      'get', 'all,configmaps,secrets,serviceaccounts,roles,rolebindings,networkpolicies,poddisruptionbudgets,leases,persistentvolumeclaims',
      '-n', 'colony-system', '-o', 'name',
    ]);
    const leftover = left.split('\n').filter((name) => name && !['configmap/kube-root-ca.crt', 'serviceaccount/default'].includes(name));
    expect(leftover).toEqual(['persistentvolumeclaim/data-colony-nats-0']);
    expect(await c.must(['get', 'clusterroles,clusterrolebindings', '-o', 'name'])).not.toMatch(/colony/);
    expect(await c.must(['get', 'crd', '-o', 'name'])).toMatch(/agents\.colony\.dev/);
  });
});
