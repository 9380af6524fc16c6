import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadManifests } from '../../controller/manifest/manifest.ts';
import { kubernetesObjects } from './manifest.ts';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

describe('colony manifest', () => {
  it('puts the code in a ConfigMap and points the Agent at it', async () => {
    const [counter] = await loadManifests(here('../../examples/counter'));
    const code = await readFile(here('../../examples/counter/counter.ts'), 'utf8');
    const [configMap, agent] = kubernetesObjects(counter!, code, 'shop');
    expect(configMap).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'counter-source', namespace: 'shop' }, data: { 'counter.ts': code } });
    expect(agent).toMatchObject({
      kind: 'Agent',
      metadata: { name: 'counter', namespace: 'shop' },
      spec: { module: 'counter.ts', source: { configMapRef: { name: 'counter-source', key: 'counter.ts' } }, idleTimeout: '5m', scaling: { minReplicas: 1 } },
    });
  });

  it("carries every duration of the spec, a workflow's retention too", async () => {
    const [brief] = await loadManifests(here('../../test/fixtures/agents/brief'));
    const [, agent] = kubernetesObjects(brief!, '', undefined);
    expect(agent).toMatchObject({ spec: { idleTimeout: '5m', drainTimeout: '30s', retention: '1s' } });
  });

  it('keeps examples/k8s/counter.yaml in step with examples/counter (same code, same source reference)', async () => {
    const documents = parseAllDocuments(await readFile(here('../../examples/k8s/counter.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
    const configMap = documents.find((d) => d.kind === 'ConfigMap') as { data: Record<string, string> };
    const agent = documents.find((d) => d.kind === 'Agent') as { spec: { source: { configMapRef: { name: string } } } };
    expect(configMap.data['counter.ts']).toBe(await readFile(here('../../examples/counter/counter.ts'), 'utf8'));
    expect(agent.spec.source.configMapRef.name).toBe('counter-source');
  });

  it('carries placement groups and the subscriptions of the manifest', async () => {
    const [customer, order] = await loadManifests(here('../../examples/shop'));
    expect(kubernetesObjects(customer!, '', undefined)[1]).toMatchObject({ spec: { placement: { group: 'shop' }, partitions: 32 } });
    expect(kubernetesObjects(order!, '', undefined)[1]).toMatchObject({ spec: { placement: { group: 'shop', keyDelimiter: ':' } } });
    const [tally] = await loadManifests(here('../../test/fixtures/agents/tally'));
    expect(kubernetesObjects(tally!, '', undefined)[1]).toMatchObject({ spec: { subscriptions: [{ topic: 'tallies', method: 'add', key: 'who', maxAttempts: 2 }] } });
    const [counter] = await loadManifests(here('../../examples/counter'));
    expect((kubernetesObjects(counter!, '', undefined)[1] as { spec: object }).spec).not.toHaveProperty('placement');
  });
});
