import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { resolveAgent } from '../../controller/manifest/manifest.ts';
import { placementUnits } from '../../controller/placement/groups.ts';

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: unknown;
}

async function objects(file: string): Promise<KubeObject[]> {
  const text = await readFile(fileURLToPath(new URL(file, import.meta.url)), 'utf8');
  return parseAllDocuments(text).map((document) => document.toJS() as KubeObject);
}

describe('examples/k8s', () => {
  it.each(['counter.yaml', 'gpu-agent.yaml'])('%s runs on the stock runtime image: a valid Agent whose code is in the ConfigMap next to it', async (file) => {
    const all = await objects(file);
    const agent = all.find((object) => object.kind === 'Agent');
    const spec = resolveAgent(agent!, `examples/k8s/${file}`, undefined);
    expect(spec.image).toBeUndefined();
    const source = all.find((object) => object.kind === 'ConfigMap' && object.metadata.name === spec.source?.configMapRef.name);
    expect(source?.data?.[spec.source?.configMapRef.key ?? spec.module]).toMatch(/import \{ defineAgent \} from 'colony';[\s\S]*export const \w+ = defineAgent\(/);
  });

  it('gpu-agent.yaml asks each pod for a GPU, on GPU nodes, tolerating their taint, with one pod', async () => {
    const agent = (await objects('gpu-agent.yaml')).find((object) => object.kind === 'Agent');
    const spec = resolveAgent(agent!, 'examples/k8s/gpu-agent.yaml', undefined);
    expect(spec.scaling).toMatchObject({ mode: 'manual', replicas: 1 });
    expect(spec.kubernetes.resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { 'nvidia.com/gpu': 1 } });
    expect(spec.kubernetes.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(spec.kubernetes.tolerations).toContainEqual({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
  });

  it("shop.yaml is examples/shop on the stock runtime image: one placement group, led by customer, each Agent's code the example's", async () => {
    const all = await objects('shop.yaml');
    const specs = all.filter((object) => object.kind === 'Agent').map((agent) => resolveAgent(agent, 'examples/k8s/shop.yaml', undefined));
    const { units, problems } = placementUnits(specs);
    expect(problems).toEqual([]);
    expect(units.map((unit) => ({ name: unit.name, lead: unit.members[0]?.name, members: unit.members.length }))).toEqual([{ name: 'shop', lead: 'customer', members: 2 }]);
    for (const spec of specs) {
      expect(spec.image).toBeUndefined();
      const source = all.find((object) => object.kind === 'ConfigMap' && object.metadata.name === spec.source?.configMapRef.name);
      const code = await readFile(fileURLToPath(new URL(`../shop/${spec.module}`, import.meta.url)), 'utf8');
      expect(source?.data?.[spec.source?.configMapRef.key ?? spec.module], spec.name).toBe(code);
    }
  });
});
