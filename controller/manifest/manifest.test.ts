import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.ts';
import { ManifestError, parseManifest } from './manifest.ts';

const manifest = (spec: string, name = 'counter'): string =>
  `apiVersion: colony.dev/v1alpha1\nkind: Agent\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

describe('parseManifest', () => {
  it('applies the defaults and resolves the module next to the file', () => {
    const [agent] = parseManifest(manifest('  module: ./counter.ts\n'), '/agents/counter/agent.yaml');
    expect(agent).toMatchObject({
      name: 'counter',
      namespace: 'default',
      module: '/agents/counter/counter.ts',
      partitions: 64,
      durability: 'turn',
      idleTimeoutMs: 300_000,
      drainTimeoutMs: 30_000,
      scaling: { mode: 'auto', minReplicas: 1, maxReplicas: 10, scaleToZeroAfterMs: 300_000 },
    });
  });

  it('reads several documents and skips other kinds', () => {
    const text = `${manifest('  module: ./a.ts\n', 'a')}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n${manifest('  module: ./b.ts\n', 'b')}`;
    expect(parseManifest(text, 'all.yaml').map((a) => a.name)).toEqual(['a', 'b']);
  });

  it.each([
    ['  module: ./c.ts\n  partitions: 0\n', 'field "spec.partitions" must be >= 1'],
    ['  module: ./c.ts\n  durability: sometimes\n', 'field "spec.durability" must be one of "turn", "async", "none"'],
    ['  module: ./c.ts\n  idleTimeout: 5 minutes\n', 'field "spec.idleTimeout" must match pattern'],
    ['  module: ./c.ts\n  scaling:\n    minReplica: 1\n', 'field "spec.scaling.minReplica" is not allowed'],
    ['  module: ./c.ts\n  scaling:\n    minReplicas: 5\n    maxReplicas: 2\n', 'spec.scaling.maxReplicas (2) is below minReplicas (5)'],
    ['  partitions: 8\n', 'field "spec.module" is required'],
    ['  module: ./c.ts\n  volumes:\n    - { name: data, hostPath: { path: /d } }\n  volumeMounts:\n    - { name: index, mountPath: /data }\n', 'spec.volumeMounts: "index" is not in spec.volumes (data)'],
    ['  module: ./c.ts\n  volumes:\n    - { name: tmp, emptyDir: {} }\n', 'spec.volumes: the name "tmp" is Colony\'s own'],
    ['  module: ./c.ts\n  volumes:\n    - { name: customer-source, emptyDir: {} }\n', 'spec.volumes: the name "customer-source" is Colony\'s own'],
    ['  module: ./c.ts\n  volumes:\n    - { name: data, emptyDir: {} }\n    - { name: data, emptyDir: {} }\n', 'spec.volumes: "data" is declared twice'],
    ['  module: ./c.ts\n  volumes:\n    - { name: data, emptyDir: {} }\n  volumeMounts:\n    - { name: data, mountPath: /app/data }\n', 'spec.volumeMounts: /app/data is where Colony mounts'],
    ['  module: ./c.ts\n  volumeMounts:\n    - { name: data, mountPath: data }\n', 'field "spec.volumeMounts[0].mountPath" must match pattern'],
  ])('refuses %j, naming the field', (spec, message) => {
    expect(() => parseManifest(manifest(spec), 'bad.yaml')).toThrow(ManifestError);
    expect(() => parseManifest(manifest(spec), 'bad.yaml')).toThrow(message);
  });

  it('refuses a name that is not a DNS label, and a wrong apiVersion', () => {
    expect(() => parseManifest(manifest('  module: ./c.ts\n', 'Counter_1'), 'bad.yaml')).toThrow('metadata.name must be a DNS-1123 label');
    expect(() => parseManifest(manifest('  module: ./c.ts\n').replace('v1alpha1', 'v1'), 'bad.yaml')).toThrow('apiVersion must be colony.dev/v1alpha1');
  });

  it('reports YAML syntax errors with the file', () => {
    expect(() => parseManifest('kind: Agent\n  bad: [indent', 'broken.yaml')).toThrow(/broken.yaml: not valid YAML/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', 'five minutes', '5d', '-1s'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
