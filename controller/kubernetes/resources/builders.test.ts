import { describe, expect, it } from 'vitest';
import { resolveAgent } from '../../manifest/manifest.ts';
import { placementUnits, soloUnit } from '../../placement/groups.ts';
import { buildConfigMap, buildDeployment, buildNatsSecret, configHash, modulePath } from './builders.ts';
import { configMapName, deploymentName, natsSecretName } from './names.ts';

const spec = (fields: Record<string, unknown>, name = 'counter') =>
  resolveAgent({ apiVersion: 'colony.dev/v1alpha1', kind: 'Agent', metadata: { name, namespace: 'shop' }, spec: fields }, `shop/${name}`, undefined);
/** An Agent of its own: its placement unit. */
const agent = (fields: Record<string, unknown>, name = 'counter') => soloUnit(spec(fields, name));

const context = { owners: [{ name: 'counter', uid: 'uid-1' }], runtimeImage: 'colony/runtime:1.0', natsUrl: 'nats://colony-nats:4222', replicas: 3 };

describe('buildDeployment', () => {
  it('runs the runtime image with the Agent settings, identity from the downward API, and an owner reference', () => {
    const unit = agent({ module: 'counter.ts', source: { configMapRef: { name: 'counter-source' } }, env: [{ name: 'MODE', value: 'fast' }] });
    const configMap = buildConfigMap(unit, context);
    const deployment = buildDeployment(unit, context, configHash(configMap));
    expect(deployment.metadata?.name).toBe('counter-agent');
    expect(deployment.metadata?.namespace).toBe('shop');
    expect(deployment.metadata?.ownerReferences).toEqual([
      { apiVersion: 'colony.dev/v1alpha1', kind: 'Agent', name: 'counter', uid: 'uid-1', controller: true, blockOwnerDeletion: true },
    ]);
    expect(deployment.spec?.replicas).toBe(3);
    // An Agent's pods are labelled and selected as before placement groups (a selector cannot change).
    expect(deployment.spec?.selector).toEqual({ matchLabels: { 'colony.dev/agent': 'counter', 'app.kubernetes.io/component': 'runtime' } });
    expect(deployment.spec?.template.metadata?.labels).toEqual({
      'colony.dev/agent': 'counter',
      'app.kubernetes.io/name': 'counter',
      'app.kubernetes.io/component': 'runtime',
      'app.kubernetes.io/part-of': 'colony',
    });
    const pod = deployment.spec?.template.spec;
    const container = pod?.containers[0];
    expect(container?.image).toBe('colony/runtime:1.0');
    expect(container?.envFrom).toEqual([{ configMapRef: { name: configMapName('counter') } }]);
    expect(container?.env).toContainEqual({ name: 'COLONY_POD_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(container?.env).toContainEqual({ name: 'COLONY_NATS_URL', value: 'nats://colony-nats:4222' });
    expect(container?.env).toContainEqual({ name: 'MODE', value: 'fast' });
    expect(pod?.volumes).toContainEqual({ name: 'agent-source', configMap: { name: 'counter-source', items: [{ key: 'counter.ts', path: 'counter.ts' }] } });
    expect(container?.volumeMounts).toContainEqual({ name: 'agent-source', mountPath: '/app/agents/counter', readOnly: true });
    expect(deployment.spec?.template.metadata?.annotations?.['colony.dev/config-hash']).toMatch(/^[0-9a-f]{16}$/);
    expect(container?.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(pod?.terminationGracePeriodSeconds).toBe(40);
    // The pod's watchdog leaves why it killed the pod where Kubernetes reads the container's termination message.
    expect(container?.terminationMessagePath).toBe('/dev/termination-log');
    expect(container?.env).toContainEqual({ name: 'COLONY_TERMINATION_LOG', value: '/dev/termination-log' });
  });

  it('passes hardware placement through: GPUs, node selector, tolerations, affinity, service account', () => {
    const unit = agent({
      module: 'model.ts',
      image: 'registry.example/vision:2',
      resources: { limits: { 'nvidia.com/gpu': 1, memory: '8Gi' } },
      nodeSelector: { accelerator: 'a100' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
      serviceAccountName: 'vision',
    }, 'vision');
    const deployment = buildDeployment(unit, context, 'h');
    const pod = deployment.spec?.template.spec;
    expect(pod?.containers[0]?.image).toBe('registry.example/vision:2');
    expect(pod?.containers[0]?.resources).toEqual({ limits: { 'nvidia.com/gpu': 1, memory: '8Gi' } });
    expect(pod?.nodeSelector).toEqual({ accelerator: 'a100' });
    expect(pod?.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(pod?.affinity).toMatchObject({ nodeAffinity: {} });
    expect(pod?.serviceAccountName).toBe('vision');
    expect(pod?.volumes?.map((v) => v.name)).toEqual(['tmp']);
    expect(modulePath(unit.spec)).toBe('/app/model.ts');
  });

  it('mounts the volumes the Agent declares (a local volume next to its data), and says where its metrics are', () => {
    const unit = agent({
      module: 'search.ts',
      nodeSelector: { 'kubernetes.io/hostname': 'node-a' },
      volumes: [{ name: 'index', persistentVolumeClaim: { claimName: 'products-index', readOnly: true } }],
      volumeMounts: [{ name: 'index', mountPath: '/data/index', readOnly: true }],
    }, 'search');
    const pod = buildDeployment(unit, context, 'h').spec?.template;
    expect(pod?.spec?.volumes).toEqual([
      { name: 'tmp', emptyDir: {} },
      { name: 'index', persistentVolumeClaim: { claimName: 'products-index', readOnly: true } },
    ]);
    expect(pod?.spec?.containers[0]?.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'index', mountPath: '/data/index', readOnly: true },
    ]);
    expect(pod?.metadata?.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8081', 'prometheus.io/path': '/metrics' });
  });

  it('rolls the pods when the settings change, not otherwise', () => {
    const a = buildConfigMap(agent({ module: 'c.ts', partitions: 64 }), context);
    const b = buildConfigMap(agent({ module: 'c.ts', partitions: 64 }), context);
    const c = buildConfigMap(agent({ module: 'c.ts', partitions: 32 }), context);
    expect(configHash(a)).toBe(configHash(b));
    expect(configHash(a)).not.toBe(configHash(c));
    expect(a.data).toMatchObject({ COLONY_AGENT: 'counter', COLONY_PARTITIONS: '64', COLONY_DURABILITY: 'turn', COLONY_HEALTH_PORT: '8081' });
  });

  it('hashes what the settings are, not the order they were written in', () => {
    const configMap = buildConfigMap(agent({ module: 'c.ts' }), context);
    const reversed = { ...configMap, data: Object.fromEntries(Object.entries(configMap.data ?? {}).reverse()) };
    expect(configHash(reversed)).toBe(configHash(configMap));
  });

  it('keeps derived names within 63 characters', () => {
    const long = 'a'.repeat(63);
    expect(deploymentName(long).length).toBeLessThanOrEqual(63);
    expect(configMapName(long)).not.toBe(deploymentName(long));
  });

  it('gives the pods the NATS token through a Secret of the Agent, owned by it, and rolls them when the token changes', () => {
    const unit = agent({ module: 'c.ts' });
    expect(buildNatsSecret(unit, { owners: context.owners, natsToken: undefined })).toBeUndefined();
    expect(buildDeployment(unit, context, 'h').spec?.template.spec?.containers[0]?.envFrom).toEqual([{ configMapRef: { name: configMapName('counter') } }]);

    const secret = buildNatsSecret(unit, { owners: context.owners, natsToken: 's3cret' });
    expect(secret?.metadata).toMatchObject({ name: natsSecretName('counter'), namespace: 'shop', ownerReferences: [expect.objectContaining({ kind: 'Agent', uid: 'uid-1' })] });
    expect(secret?.data).toEqual({ COLONY_NATS_TOKEN: Buffer.from('s3cret').toString('base64') });
    const withToken = buildDeployment(unit, { ...context, natsToken: 's3cret' }, 'h');
    expect(withToken.spec?.template.spec?.containers[0]?.envFrom).toEqual([
      { configMapRef: { name: configMapName('counter') } },
      { secretRef: { name: 'counter-agent-nats' } },
    ]);
    // The token itself appears nowhere in the Deployment.
    expect(JSON.stringify(withToken)).not.toContain('s3cret');

    const configMap = buildConfigMap(unit, context);
    const other = buildNatsSecret(unit, { owners: context.owners, natsToken: 'rotated' });
    expect(configHash(configMap, secret)).not.toBe(configHash(configMap, other));
    expect(configHash(configMap, secret)).not.toBe(configHash(configMap));
  });
});

describe('the Deployment of a placement group', () => {
  const customer = spec({ module: 'customer.ts', source: { configMapRef: { name: 'customer-source' } }, placement: { group: 'shop' }, partitions: 32 }, 'customer');
  const order = spec({ module: './order.ts', source: { configMapRef: { name: 'shop-code', key: 'order-v2.ts' } }, placement: { group: 'shop', keyDelimiter: ':' } }, 'order');
  const shop = placementUnits([order, customer]).units[0]!;
  const owners = [{ name: 'customer', uid: 'uid-c' }, { name: 'order', uid: 'uid-o' }];

  it('is one workload named after the group, owned by every member, the lead its controller', () => {
    const configMap = buildConfigMap(shop, { owners });
    const deployment = buildDeployment(shop, { ...context, owners }, configHash(configMap));
    expect(deployment.metadata?.name).toBe('shop-agent');
    expect(configMap.metadata?.name).toBe('shop-agent-settings');
    const references = [
      { apiVersion: 'colony.dev/v1alpha1', kind: 'Agent', name: 'customer', uid: 'uid-c', controller: true, blockOwnerDeletion: true },
      { apiVersion: 'colony.dev/v1alpha1', kind: 'Agent', name: 'order', uid: 'uid-o', controller: false, blockOwnerDeletion: true },
    ];
    expect(deployment.metadata?.ownerReferences).toEqual(references);
    expect(configMap.metadata?.ownerReferences).toEqual(references);
    expect(buildNatsSecret(shop, { owners, natsToken: 't' })?.metadata).toMatchObject({ name: 'shop-agent-nats', ownerReferences: references });
    // Its pods are selected by the group's name, and say which group they are.
    expect(deployment.spec?.selector).toEqual({ matchLabels: { 'colony.dev/agent': 'shop', 'app.kubernetes.io/component': 'runtime' } });
    expect(deployment.spec?.template.metadata?.labels).toMatchObject({ 'colony.dev/agent': 'shop', 'colony.dev/group': 'shop', 'app.kubernetes.io/name': 'shop' });
  });

  it("hosts every member: each member's source at its own path, the members' settings in the group's ConfigMap", () => {
    const pod = buildDeployment(shop, { ...context, owners }, 'h').spec?.template.spec;
    expect(pod?.volumes).toEqual([
      { name: 'tmp', emptyDir: {} },
      { name: 'customer-source', configMap: { name: 'customer-source', items: [{ key: 'customer.ts', path: 'customer.ts' }] } },
      { name: 'order-source', configMap: { name: 'shop-code', items: [{ key: 'order-v2.ts', path: 'order.ts' }] } },
    ]);
    expect(pod?.containers[0]?.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'customer-source', mountPath: '/app/agents/customer', readOnly: true },
      { name: 'order-source', mountPath: '/app/agents/order', readOnly: true },
    ]);
    expect(pod?.containers[0]?.envFrom).toEqual([{ configMapRef: { name: 'shop-agent-settings' } }]);
    const data = buildConfigMap(shop, { owners }).data ?? {};
    expect(data).toMatchObject({ COLONY_GROUP: 'shop', COLONY_PARTITIONS: '32', COLONY_HEALTH_PORT: '8081' });
    expect(data.COLONY_AGENT).toBeUndefined();
    expect(JSON.parse(data.COLONY_GROUP_AGENTS ?? '[]')).toEqual([
      expect.objectContaining({ name: 'customer', module: '/app/agents/customer/customer.ts', durability: 'turn' }),
      expect.objectContaining({ name: 'order', module: '/app/agents/order/order.ts', keyDelimiter: ':' }),
    ]);
  });

  it("runs the lead's image, or the runtime image", () => {
    const withImage = placementUnits([spec({ module: 'customer.ts', image: 'registry.example/shop:1', placement: { group: 'shop' } }, 'customer'), order]).units[0]!;
    expect(buildDeployment(withImage, { ...context, owners }, 'h').spec?.template.spec?.containers[0]?.image).toBe('registry.example/shop:1');
    expect(modulePath(withImage.members[0]!)).toBe('/app/customer.ts');
    expect(buildDeployment(shop, { ...context, owners }, 'h').spec?.template.spec?.containers[0]?.image).toBe('colony/runtime:1.0');
  });

  it('rolls the pods when a member joins', () => {
    const alone = placementUnits([customer]).units[0]!;
    expect(configHash(buildConfigMap(alone, { owners }))).not.toBe(configHash(buildConfigMap(shop, { owners })));
  });
});
