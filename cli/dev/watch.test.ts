import { describe, expect, it } from 'vitest';
import { AGENT_API_VERSION, AGENT_KIND, resolveAgent } from '../../controller/manifest/manifest.ts';
import type { AgentSpec } from '../../controller/manifest/agent-spec.ts';
import { isWatched, unitsToRestart } from './watch.ts';

const agent = (name: string, module: string, spec: Record<string, unknown> = {}): AgentSpec =>
  resolveAgent({ apiVersion: AGENT_API_VERSION, kind: AGENT_KIND, metadata: { name }, spec: { module, ...spec } }, `${name}.yaml`, undefined);

describe('isWatched', () => {
  it.each([
    ['counter.ts', true],
    ['lib/util.mjs', true],
    ['agent.yaml', true],
    ['data/config.json', true],
    ['README.md', false],
    ['node_modules/x/index.js', false],
    ['.colony/nats/x.json', false],
    ['.counter.ts.swp', false],
    ['counter.ts~', false],
  ])('%s → %s', (file, watched) => {
    expect(isWatched(file)).toBe(watched);
  });
});

describe('unitsToRestart', () => {
  const counter = agent('counter', '/p/counter/counter.ts');
  const account = agent('account', '/p/account/account.ts');
  const customer = agent('customer', '/p/shop/customer.ts', { placement: { group: 'shop' } });
  const purchase = agent('purchase', '/p/shop/purchase.ts', { placement: { group: 'shop', keyDelimiter: ':' } });
  const all = [counter, account, customer, purchase];

  it('restarts the Agents whose module is in the folder of a changed file, or under it', () => {
    expect(unitsToRestart(all, all, ['/p/counter/counter.ts'])).toEqual(['counter']);
    expect(unitsToRestart(all, all, ['/p/account/lib/money.ts'])).toEqual(['account']);
    expect(unitsToRestart(all, all, ['/p/elsewhere/money.ts'])).toEqual([]);
    expect(unitsToRestart([agent('a', '/p/a/src/a.ts')], [agent('a', '/p/a/src/a.ts')], ['/p/a/src/lib/money.ts'])).toEqual(['a']);
  });

  it('restarts a placement group as one, when any member changed', () => {
    expect(unitsToRestart(all, all, ['/p/shop/purchase.ts'])).toEqual(['shop']);
  });

  it('restarts an Agent whose manifest changed, and not one that is new (it starts by itself)', () => {
    const durable = agent('counter', '/p/counter/counter.ts', { durability: 'async' });
    expect(unitsToRestart(all, [durable, account, customer, purchase], ['/p/other/agent.yaml'])).toEqual(['counter']);
    expect(unitsToRestart([account], [counter, account], ['/p/x.yaml'])).toEqual([]);
  });
});
