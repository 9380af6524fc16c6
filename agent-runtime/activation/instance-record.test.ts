import { describe, expect, it } from 'vitest';
import { IDEMPOTENCY_TTL_MS, IDEMPOTENCY_WINDOW } from '../protocol/stored-record.ts';
import { MemoryStateStore } from '../state/memory-state-store.ts';
import { InstanceRecord } from './instance-record.ts';

const LIMIT_BYTES = 1024 * 1024;

describe('InstanceRecord', () => {
  it('answers repeats of calls past the stored window by the clock it is given, also after a write and a load', async () => {
    const store = new MemoryStateStore();
    const record = new InstanceRecord('counter/alice');
    // A clock far from the wall's: remembered replies are stamped and judged by it alone.
    const start = 1_000;
    await record.load(store, 'alice', () => 0, start);
    for (let i = 0; i <= IDEMPOTENCY_WINDOW; i += 1) {
      record.state = i + 1;
      const change = record.change();
      if (!change) throw new Error('the state did not change');
      record.accept(change, { callId: `call-${i}`, reply: { status: 'ok', body: String(i) } }, start, LIMIT_BYTES);
    }
    // call-0 left the stored window; it is still remembered in memory within the TTL.
    expect(record.remembered('call-0', start + IDEMPOTENCY_TTL_MS)).toMatchObject({ status: 'ok', body: '0' });
    expect(record.remembered('call-0', start + IDEMPOTENCY_TTL_MS + 1)).toBeUndefined();

    await record.flush(store, 'alice', { withRecent: { limitBytes: LIMIT_BYTES, now: start } });
    const next = new InstanceRecord('counter/alice');
    await next.load(store, 'alice', () => 0, start + 1);
    expect(next.remembered('call-0', start + 1)).toMatchObject({ status: 'ok', body: '0' });
    const late = new InstanceRecord('counter/alice');
    await late.load(store, 'alice', () => 0, start + IDEMPOTENCY_TTL_MS + 1);
    expect(late.remembered('call-0', start + IDEMPOTENCY_TTL_MS + 1)).toBeUndefined();
  });
});
