import { describe, expect, it } from 'vitest';
import { resolveAgent } from '../../manifest/manifest.ts';
import { buildConfigMap, buildDeployment, buildNatsSecret, configHash, modulePath } from './builders.ts';
import { configMapName, deploymentName, natsSecretName } from './names.ts';

const agent = (spec: Record<string, unknown>, name = 'counter') =>
  resolveAgent({ apiVersion: 'colony.dev/v1alpha1', kind: 'Agent', metadata: { name, namespace: 'shop' }, spec }, `shop/${name}`, undefined);

const context = { agentUid: 'uid-1', runtimeImage: 'colony/runtime:1.0', natsUrl: 'nats://colony-nats:4222', replicas: 3 };

describe('buildDeployment', () => {
  it('runs the runtime image with the Agent settings, identity from the downward API, and an owner reference', () => {
    const spec = agent({ module: 'counter.ts', source: { configMapRef: { name: 'counter-source' } }, env: [{ name: 'MODE', value: 'fast' }] });
    const configMap = buildConfigMap(spec, context);
    const deployment = buildDeployment(spec, context, configHash(configMap));
    expect(deployment.metadata?.name).toBe('counter-agent');
    expect(deployment.metadata?.namespace).toBe('shop');
    expect(deployment.metadata?.ownerReferences).toEqual([
      { apiVersion: 'colony.dev/v1alpha1', kind: 'Agent', name: 'counter', uid: 'uid-1', controller: true, blockOwnerDeletion: true },
    ]);
    expect(deployment.spec?.replicas).toBe(3);
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
    const spec = agent({
      module: 'model.ts',
      image: 'registry.example/vision:2',
      resources: { limits: { 'nvidia.com/gpu': 1, memory: '8Gi' } },
      nodeSelector: { accelerator: 'a100' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
      serviceAccountName: 'vision',
    }, 'vision');
    const deployment = buildDeployment(spec, context, 'h');
    const pod = deployment.spec?.template.spec;
    expect(pod?.containers[0]?.image).toBe('registry.example/vision:2');
    expect(pod?.containers[0]?.resources).toEqual({ limits: { 'nvidia.com/gpu': 1, memory: '8Gi' } });
    expect(pod?.nodeSelector).toEqual({ accelerator: 'a100' });
    expect(pod?.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(pod?.affinity).toMatchObject({ nodeAffinity: {} });
    expect(pod?.serviceAccountName).toBe('vision');
    expect(pod?.volumes?.map((v) => v.name)).toEqual(['tmp']);
    expect(modulePath(spec)).toBe('/app/model.ts');
  });

  it('rolls the pods when the settings change, not otherwise', () => {
    const a = buildConfigMap(agent({ module: 'c.ts', partitions: 64 }), context);
    const b = buildConfigMap(agent({ module: 'c.ts', partitions: 64 }), context);
    const c = buildConfigMap(agent({ module: 'c.ts', partitions: 32 }), context);
    expect(configHash(a)).toBe(configHash(b));
    expect(configHash(a)).not.toBe(configHash(c));
    expect(a.data).toMatchObject({ COLONY_AGENT: 'counter', COLONY_PARTITIONS: '64', COLONY_DURABILITY: 'turn', COLONY_HEALTH_PORT: '8081' });
  });

  it('keeps derived names within 63 characters', () => {
    const long = 'a'.repeat(63);
    expect(deploymentName(long).length).toBeLessThanOrEqual(63);
    expect(configMapName(long)).not.toBe(deploymentName(long));
  });

  it('gives the pods the NATS token through a Secret of the Agent, owned by it, and rolls them when the token changes', () => {
    const spec = agent({ module: 'c.ts' });
    expect(buildNatsSecret(spec, { agentUid: 'uid-1', natsToken: undefined })).toBeUndefined();
    expect(buildDeployment(spec, context, 'h').spec?.template.spec?.containers[0]?.envFrom).toEqual([{ configMapRef: { name: configMapName('counter') } }]);

    const secret = buildNatsSecret(spec, { agentUid: 'uid-1', natsToken: 's3cret' });
    expect(secret?.metadata).toMatchObject({ name: natsSecretName('counter'), namespace: 'shop', ownerReferences: [expect.objectContaining({ kind: 'Agent', uid: 'uid-1' })] });
    expect(secret?.data).toEqual({ COLONY_NATS_TOKEN: Buffer.from('s3cret').toString('base64') });
    const withToken = buildDeployment(spec, { ...context, natsToken: 's3cret' }, 'h');
    expect(withToken.spec?.template.spec?.containers[0]?.envFrom).toEqual([
      { configMapRef: { name: configMapName('counter') } },
      { secretRef: { name: 'counter-agent-nats' } },
    ]);
    // The token itself appears nowhere in the Deployment.
    expect(JSON.stringify(withToken)).not.toContain('s3cret');

    const configMap = buildConfigMap(spec, context);
    const other = buildNatsSecret(spec, { agentUid: 'uid-1', natsToken: 'rotated' });
    expect(configHash(configMap, secret)).not.toBe(configHash(configMap, other));
    expect(configHash(configMap, secret)).not.toBe(configHash(configMap));
  });
});
