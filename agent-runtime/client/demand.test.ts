import { describe, expect, it } from 'vitest';
import { decodeJson } from '../protocol/codec.ts';
import { DEMAND_INTERVAL_MS, DemandPublisher } from './demand.ts';

describe('DemandPublisher', () => {
  it('sends one signal per agent per interval', () => {
    const sent: { subject: string; data: unknown }[] = [];
    let now = 1_000;
    const demand = new DemandPublisher((subject, data) => sent.push({ subject, data: decodeJson(data, 'signal') }), 'default', () => now);
    expect(demand.signal('counter', 3)).toBe(true);
    expect(demand.signal('counter', 5)).toBe(false);
    expect(demand.signal('mailer', 0)).toBe(true);
    now += DEMAND_INTERVAL_MS;
    expect(demand.signal('counter', 5)).toBe(true);
    expect(sent).toEqual([
      { subject: 'colony.ctl.default.counter.demand', data: { namespace: 'default', agent: 'counter', partition: 3, sentAt: 1_000 } },
      { subject: 'colony.ctl.default.mailer.demand', data: { namespace: 'default', agent: 'mailer', partition: 0, sentAt: 1_000 } },
      { subject: 'colony.ctl.default.counter.demand', data: { namespace: 'default', agent: 'counter', partition: 5, sentAt: 1_000 + DEMAND_INTERVAL_MS } },
    ]);
  });
});
