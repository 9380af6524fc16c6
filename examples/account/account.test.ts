import { describe, expect, it } from 'vitest';
import { ColonyError, testAgents } from 'colony/testing';
import { account } from './account.ts';

describe('account', () => {
  it('transfers between two accounts: the deposit is a call to the other instance', async () => {
    const t = testAgents({ account });
    await t.instance('account', 'alice').deposit({ amount: 100 });
    expect(await t.instance('account', 'alice').transfer({ to: 'bob', amount: 30 })).toEqual({ balance: 70 });
    expect(t.state('account', 'bob')).toEqual({ balance: 30 });
  });

  it('refuses a transfer over the balance with failed_precondition, and changes nothing', async () => {
    const t = testAgents({ account });
    await t.instance('account', 'alice').deposit({ amount: 10 });
    const refused = t.instance('account', 'alice').transfer({ to: 'bob', amount: 30 });
    await expect(refused).rejects.toThrow(ColonyError);
    await expect(refused).rejects.toMatchObject({ code: 'failed_precondition', status: 409 });
    expect(t.state('account', 'alice')).toEqual({ balance: 10 });
    expect(t.state('account', 'bob')).toBeUndefined();
  });
});
