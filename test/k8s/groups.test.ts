import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { podsRunElsewhere, useKubePods } from '../helpers/kube-pods.ts';

const SHOP = fileURLToPath(new URL('../../examples/k8s/shop.yaml', import.meta.url));

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface AgentObject {
  metadata: { uid: string };
  status?: { group?: string; selector?: string; replicas?: number; readyReplicas?: number; partitionsSummary?: string; conditions?: Condition[] };
}
interface Owned {
  metadata: { ownerReferences?: { name: string; uid: string; controller?: boolean }[] };
}

/**
 * Placement groups on Kubernetes, end to end: examples/k8s/shop.yaml's two
 * Agents share group "shop", so the controller (as the chart's
 * ServiceAccount) makes one Deployment for the group, whose pods — run by
 * the stand-in kubelet as runtime processes — host both Agents; a purchase's
 * call to its customer stays on the purchase's pod.
 */
const external = podsRunElsewhere('test/k8s/groups.test.ts');

describe.skipIf(external)('placement groups on Kubernetes', () => {
  const pods = useKubePods();

  const call = async (agent: string, key: string, method: string, input?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${pods.gateway.url}/v1/agents/${agent}/${encodeURIComponent(key)}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-colony-timeout': '20s' },
      body: input === undefined ? '' : JSON.stringify(input),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const agent = (name: string): Promise<AgentObject> => pods.platform.json<AgentObject>('get', 'agent', name);
  const condition = async (name: string, type: string): Promise<Condition | undefined> => (await agent(name)).status?.conditions?.find((c) => c.type === type);
  const exists = async (kind: string, name: string): Promise<boolean> => (await pods.platform.cluster.kubectl(['get', kind, name])).code === 0;

  it('runs a group as one Deployment named after it, owned by both Agents, the lead its controller', async () => {
    await pods.platform.kubectl('apply', '-f', SHOP);
    await expect
      .poll(() => pods.platform.deploymentReplicas('shop-agent'), { timeout: 30_000, interval: 500, message: `no Deployment shop-agent; controller log:\n${pods.platform.controllerLog()}` })
      .toBe(2);
    expect(await exists('deployment', 'customer-agent')).toBe(false);
    expect(await exists('deployment', 'purchase-agent')).toBe(false);
    const [customer, purchase] = await Promise.all([agent('customer'), agent('purchase')]);
    const deployment = await pods.platform.json<Owned & { spec: { template: { metadata: { labels: Record<string, string> } } } }>('get', 'deployment', 'shop-agent');
    expect(deployment.metadata.ownerReferences).toEqual([
      expect.objectContaining({ name: 'customer', uid: customer.metadata.uid, controller: true }),
      expect.objectContaining({ name: 'purchase', uid: purchase.metadata.uid, controller: false }),
    ]);
    expect(deployment.spec.template.metadata.labels).toMatchObject({ 'colony.dev/agent': 'shop', 'colony.dev/group': 'shop' });
    const settings = await pods.platform.json<Owned & { data: Record<string, string> }>('get', 'configmap', 'shop-agent-settings');
    expect(settings.data).toMatchObject({ COLONY_GROUP: 'shop', COLONY_PARTITIONS: '32' });
    expect(JSON.parse(settings.data.COLONY_GROUP_AGENTS ?? '[]')).toEqual([
      expect.objectContaining({ name: 'customer', module: '/app/agents/customer/customer.ts' }),
      expect.objectContaining({ name: 'purchase', module: '/app/agents/purchase/purchase.ts', keyDelimiter: ':' }),
    ]);
    expect(settings.metadata.ownerReferences?.map((ref) => ref.name)).toEqual(['customer', 'purchase']);
  });

  it("hosts both Agents on the group's pods: a purchase and its customer answer from the same pod", async () => {
    await expect.poll(() => pods.kubelet.running().filter((pod) => pod.startsWith('shop-agent-')).length, { timeout: 60_000, interval: 500 }).toBe(2);
    // Both pods serve: the group's partitions are spread over them.
    await expect.poll(async () => (await agent('purchase')).status, { timeout: 30_000, interval: 500 }).toMatchObject({ readyReplicas: 2, partitionsSummary: '32/32' });
    const placed = await call('purchase', 'tenant7:1', 'place', { amount: 30 });
    expect(placed.status, JSON.stringify(placed.body)).toBe(200);
    expect(placed.body).toMatchObject({ purchase: 'tenant7:1', amount: 30, customer: { orders: 1, spent: 30 } });
    expect(pods.kubelet.running()).toContain(placed.body.pod);
    expect(placed.body.customerPod).toBe(placed.body.pod);
    const seen = await call('customer', 'tenant7', 'get');
    expect(seen.body).toMatchObject({ orders: 1, spent: 30, recent: ['tenant7:1'], pod: placed.body.pod });
    // Over two pods, one tenant could land with its customer by chance; eight more could not (1 in 256).
    for (let tenant = 0; tenant < 8; tenant += 1) {
      const { body } = await call('purchase', `t${tenant}:1`, 'place', { amount: 5 });
      expect(body.customerPod, `t${tenant}`).toBe(body.pod);
    }
  });

  it("shows the group in each member's status, with the group's pods, partitions and selector", async () => {
    for (const name of ['customer', 'purchase']) {
      await expect.poll(async () => (await condition(name, 'Ready'))?.reason, { timeout: 30_000, interval: 500 }).toBe('AllPartitionsServed');
      expect((await agent(name)).status).toMatchObject({ group: 'shop', replicas: 2, partitionsSummary: '32/32', selector: 'colony.dev/agent=shop,app.kubernetes.io/component=runtime' });
    }
    // kubectl get agents -o wide: the GROUP column, and the group's two pods once both are ready.
    await expect.poll(() => pods.platform.kubectl('get', 'agents', '-o', 'wide'), { timeout: 30_000, interval: 500 }).toMatch(/^purchase\s+shop\s+auto\s+2\s+2\s+32\/32\s+/m);
  });

  it("says in a member's Degraded condition which of its settings the group ignores", async () => {
    await pods.platform.kubectl('patch', 'agent', 'purchase', '--type=merge', '-p', '{"spec":{"partitions":16}}');
    await expect
      .poll(() => condition('purchase', 'Degraded'), { timeout: 30_000, interval: 500 })
      .toMatchObject({ status: 'True', reason: 'SettingsIgnored', message: expect.stringContaining('spec.partitions of purchase is ignored') });
    expect(await condition('customer', 'Degraded')).toMatchObject({ status: 'False' });
    await pods.platform.kubectl('patch', 'agent', 'purchase', '--type=merge', '-p', '{"spec":{"partitions":null}}');
    await expect.poll(async () => (await condition('purchase', 'Degraded'))?.status, { timeout: 30_000, interval: 500 }).toBe('False');
  });

  it('refuses a group named after an Agent outside it, and says so on its members', async () => {
    await pods.platform.cluster.kubectl(['apply', '-f', '-'], {
      input: 'apiVersion: colony.dev/v1alpha1\nkind: Agent\nmetadata:\n  name: stray\nspec:\n  module: stray.ts\n  placement:\n    group: customer\n',
    });
    await expect
      .poll(() => condition('stray', 'Degraded'), { timeout: 30_000, interval: 500 })
      .toMatchObject({ status: 'True', reason: 'PlacementGroupRefused', message: expect.stringContaining('has the name of Agent customer') });
    expect(await condition('stray', 'Ready')).toMatchObject({ status: 'False', reason: 'PlacementGroupRefused' });
    expect(await exists('deployment', 'stray-agent')).toBe(false);
    await pods.platform.kubectl('delete', 'agent', 'stray');
  });

  it('keeps the Deployment while a member is left, and removes it with the last one', async () => {
    await pods.platform.kubectl('delete', 'agent', 'purchase');
    await expect
      .poll(async () => (await pods.platform.json<Owned>('get', 'deployment', 'shop-agent')).metadata.ownerReferences?.map((ref) => ref.name), { timeout: 30_000, interval: 500 })
      .toEqual(['customer']);
    await pods.platform.kubectl('delete', '-f', SHOP, '--ignore-not-found');
    await expect.poll(() => exists('deployment', 'shop-agent'), { timeout: 30_000, interval: 500 }).toBe(false);
    await expect.poll(() => exists('configmap', 'shop-agent-settings'), { timeout: 30_000, interval: 500 }).toBe(false);
    await expect.poll(() => pods.kubelet.running().length, { timeout: 60_000, interval: 500 }).toBe(0);
  });
});
