import { describe, expect, it } from 'vitest';
import type { AgentSpec } from '../manifest/agent-spec.ts';
import { AGENT_API_VERSION, AGENT_KIND, resolveAgent } from '../manifest/manifest.ts';
import { placementUnits } from './groups.ts';

const agent = (name: string, spec: Record<string, unknown> = {}): AgentSpec =>
  resolveAgent({ apiVersion: AGENT_API_VERSION, kind: AGENT_KIND, metadata: { name }, spec: { module: `${name}.ts`, ...spec } }, `${name}.yaml`, undefined);

describe('placementUnits', () => {
  it('places an Agent without a group as a unit of its own', () => {
    const { units, problems } = placementUnits([agent('counter'), agent('account')]);
    expect(units.map((u) => [u.name, u.group, u.members.map((m) => m.name)])).toEqual([
      ['account', undefined, ['account']],
      ['counter', undefined, ['counter']],
    ]);
    expect(units[1]?.spec.name).toBe('counter');
    expect(problems).toEqual([]);
  });

  it("places a group's members as one unit named after the group, with its first member's pod settings", () => {
    const order = agent('order', { placement: { group: 'shop', keyDelimiter: ':' } });
    const customer = agent('customer', { placement: { group: 'shop' }, partitions: 16, scaling: { minReplicas: 2 } });
    const { units, problems } = placementUnits([order, agent('counter'), customer]);
    expect(units.map((u) => u.name)).toEqual(['counter', 'shop']);
    const shop = units[1];
    expect(shop?.group).toBe('shop');
    expect(shop?.members.map((m) => m.name)).toEqual(['customer', 'order']);
    expect(shop?.spec).toMatchObject({ name: 'shop', partitions: 16, scaling: { minReplicas: 2 }, module: 'customer.ts' });
    // order sets none of the pod settings: nothing of it is ignored.
    expect(problems).toEqual([]);
  });

  it('says which pod settings of a later member are ignored, and that the first member by name sets them', () => {
    const { problems } = placementUnits([
      agent('alpha', { placement: { group: 'g' }, partitions: 8 }),
      agent('beta', { placement: { group: 'g' }, partitions: 16, scaling: { maxReplicas: 3 }, nodeSelector: { disk: 'ssd' } }),
      agent('gamma', { placement: { group: 'g' }, partitions: 8, durability: 'async' }),
    ]);
    expect(problems).toEqual([
      {
        agent: 'beta',
        fatal: false,
        message: 'spec.partitions, spec.scaling, spec.nodeSelector of beta are ignored: the pods of placement group "g" take them from alpha, its first member by name',
      },
    ]);
  });

  it('refuses a group named after an Agent outside it, and runs none of its members', () => {
    const { units, problems } = placementUnits([agent('counter'), agent('a', { placement: { group: 'counter' } }), agent('b', { placement: { group: 'counter' } })]);
    expect(units.map((u) => u.name)).toEqual(['counter']);
    expect(units[0]?.members.map((m) => m.name)).toEqual(['counter']);
    expect(problems.map((p) => [p.agent, p.fatal])).toEqual([
      ['a', true],
      ['b', true],
    ]);
    expect(problems[0]?.message).toMatch(/placement group "counter" has the name of Agent counter, which is not in it; rename the group/);
  });

  it('lets a group take the name of one of its own members', () => {
    const { units, problems } = placementUnits([agent('order', { placement: { group: 'order' } }), agent('line', { placement: { group: 'order' } })]);
    expect(units.map((u) => [u.name, u.members.map((m) => m.name)])).toEqual([['order', ['line', 'order']]]);
    expect(problems).toEqual([]);
  });
});
