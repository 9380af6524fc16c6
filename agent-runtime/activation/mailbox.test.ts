import { describe, expect, it } from 'vitest';
import type { CallMeta } from '../protocol/envelope.ts';
import { admit, refusesInCycle, UnansweredCalls } from './mailbox.ts';
import type { MailboxView } from './mailbox.ts';
import type { Reply } from './reply.ts';

const view = (more: Partial<MailboxView> = {}): MailboxView => ({
  address: 'bank/a',
  takesTurns: true,
  inTurn: 1,
  runningChain: 'chain-a',
  waits: new Map([['bank/b', 1]]),
  queued: 0,
  maxMailbox: 10,
  ...more,
});
const meta = (more: Partial<CallMeta> = {}): CallMeta => ({ key: 'a', method: 'deposit', deadline: 1, callId: 'c', chain: 'chain-b', depth: 1, caller: 'bank/b', ...more });

describe('admit', () => {
  it('runs a call along the running chain at once (A → B → A)', () => {
    expect(admit(view(), meta({ chain: 'chain-a' }))).toEqual({ kind: 'reentrant' });
  });

  it('of two chains waiting on each other, refuses the call of the chain whose id sorts after the running one', () => {
    const refused = admit(view({ runningChain: 'chain-a' }), meta({ chain: 'chain-b' }));
    expect(refused).toMatchObject({ kind: 'refuse', error: { code: 'aborted' } });
    // The other side of the same cycle: its running chain is chain-b, the incoming call chain-a. It queues.
    expect(admit(view({ address: 'bank/b', runningChain: 'chain-b', waits: new Map([['bank/a', 1]]) }), meta({ chain: 'chain-a', caller: 'bank/a' }))).toEqual({ kind: 'queue' });
  });

  it('queues calls that close no cycle: a one-way call, a caller it does not wait on, no running turn', () => {
    expect(admit(view(), meta({ oneway: true }))).toEqual({ kind: 'queue' });
    expect(admit(view(), meta({ caller: 'bank/c' }))).toEqual({ kind: 'queue' });
    expect(admit(view({ inTurn: 0, runningChain: undefined }), meta())).toEqual({ kind: 'queue' });
  });

  it('refuses with resource_exhausted when the mailbox is full', () => {
    expect(admit(view({ queued: 10 }), meta({ caller: undefined }))).toMatchObject({ kind: 'refuse', error: { code: 'resource_exhausted', retryAfterSeconds: 1 } });
  });

  it('orders any two different chains one way only', () => {
    expect(refusesInCycle('x', 'y')).not.toBe(refusesInCycle('y', 'x'));
  });
});

describe('UnansweredCalls', () => {
  it('gives a copy of an unanswered call the first reply, and refuses a copy with another request', () => {
    const calls = new UnansweredCalls();
    const got: Reply[] = [];
    const answer = calls.track('id-1', () => 'increment:abc', (reply) => got.push(reply));
    expect(calls.join('id-1', 'increment:abc', (reply) => got.push(reply))).toBe(true);
    expect(calls.join('id-1', 'increment:xyz', () => undefined)).toMatchObject({ code: 'idempotency_key_reused' });
    expect(calls.join('id-2', 'increment:abc', () => undefined)).toBeUndefined();
    answer({ status: 'ok', body: '1' });
    expect(got).toEqual([{ status: 'ok', body: '1' }, { status: 'ok', body: '1' }]);
    expect(calls.size).toBe(0);
  });

  it('knows which ids are unanswered, so only a copy is fingerprinted', () => {
    const calls = new UnansweredCalls();
    let fingerprinted = 0;
    const answer = calls.track('id-1', () => {
      fingerprinted += 1;
      return 'increment:abc';
    }, () => undefined);
    expect(calls.has('id-1')).toBe(true);
    expect(calls.has('id-2')).toBe(false);
    expect(fingerprinted).toBe(0);
    answer({ status: 'ok' });
    expect(calls.has('id-1')).toBe(false);
  });
});
