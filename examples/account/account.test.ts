import { describe, expect, it } from 'vitest';
import { ColonyError, testAgents } from 'colony/testing';
import { account } from './account.ts';

describe('account', () => {
  it('transfers by calling the other account, and refuses a transfer over the balance without changing it', async () => {
    const t = testAgents({ account }); // testAgents({ counter, account }) for two
    await t.instance('account', 'alice').deposit({ amount: 100 });
    expect(await t.instance('account', 'alice').transfer({ to: 'bob', amount: 30 })).toEqual({ balance: 70 }); // calls account/bob
    expect(t.state('account', 'bob')).toEqual({ balance: 30 });
    const refused = t.instance('account', 'alice').transfer({ to: 'bob', amount: 500 });
    await expect(refused).rejects.toThrow(ColonyError);
    await expect(refused).rejects.toMatchObject({ code: 'failed_precondition', status: 409 });
    expect(t.state('account', 'alice')).toEqual({ balance: 70 });
    expect(t.state('account', 'bob')).toEqual({ balance: 30 });
  });
});
