import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CRD_FILE, crdYaml } from './crd-file.ts';
import { agentCrd, toStructural } from './crd.ts';

describe('the Agent CRD', () => {
  it('is generated: the chart holds what the schema says (run npm run gen:crd after changing it)', () => {
    const onDisk = readFileSync(fileURLToPath(new URL(`../../${CRD_FILE}`, import.meta.url)), 'utf8');
    expect(onDisk).toBe(crdYaml());
  });

  it('is structural: no properties next to additionalProperties: false, and every property typed', () => {
    const walk = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const schema = node as Record<string, unknown>;
      if (schema.properties) {
        expect(schema.additionalProperties, path).toBeUndefined();
        for (const [name, child] of Object.entries(schema.properties as Record<string, Record<string, unknown>>)) {
          expect(child.type ?? child['x-kubernetes-preserve-unknown-fields'], `${path}.${name}`).toBeDefined();
          walk(child, `${path}.${name}`);
        }
      }
      if (schema.items) walk(schema.items, `${path}[]`);
    };
    const version = (agentCrd().spec as { versions: { schema: { openAPIV3Schema: unknown } }[] }).versions[0];
    walk(version?.schema.openAPIV3Schema, 'Agent');
  });

  it('keeps maps typed by their values', () => {
    expect(toStructural({ type: 'object', additionalProperties: { type: 'string' } })).toEqual({ type: 'object', additionalProperties: { type: 'string' } });
  });
});
