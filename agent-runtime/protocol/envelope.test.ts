import { MsgHdrsImpl, MsgImpl } from '@nats-io/nats-core/internal';
import type { Msg, MsgHdrs, Publisher } from '@nats-io/nats-core/internal';
import { describe, expect, it } from 'vitest';
import { parseHeaderBlock, readCallHeaders, writeCallHeaders } from './envelope.ts';
import type { CallMeta } from './envelope.ts';
import { HEADER } from './headers.ts';

const encoder = new TextEncoder();
const bytesOf = (h: MsgHdrs): Uint8Array => (h as unknown as { encode(): Uint8Array }).encode();

/** The first value of every header, as nats.js's own decoder reads the block. */
function natsRead(block: Uint8Array): Map<string, string> {
  const decoded = MsgHdrsImpl.decode(block);
  return new Map(decoded.keys().map((name) => [name, decoded.get(name)]));
}

/** A message as nats.js delivers it: headers and payload in one buffer, `hdr` bytes of headers. */
function delivered(headers: Uint8Array, payload = encoder.encode('{}')): Msg {
  const data = new Uint8Array(headers.byteLength + payload.byteLength);
  data.set(headers);
  data.set(payload, headers.byteLength);
  const publisher = { publish: () => undefined } as unknown as Publisher;
  const arg = { subject: encoder.encode('s'), reply: encoder.encode('r'), sid: 1, hdr: headers.byteLength > 0 ? headers.byteLength : -1, size: data.byteLength };
  return new MsgImpl(arg, data, publisher);
}

const meta: CallMeta = {
  key: 'tenant/7 ünïcødé ✓',
  method: 'increment',
  deadline: 1_900_000_000_000,
  callId: 'call-1',
  chain: 'chain-1',
  depth: 2,
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  caller: 'account/ann',
  oneway: true,
};

describe('reading call headers', () => {
  it('reads what writeCallHeaders wrote, the same through the raw block and through nats.js headers', () => {
    const block = bytesOf(writeCallHeaders(meta));
    const raw = readCallHeaders(delivered(block));
    const viaHeaders = readCallHeaders({ headers: MsgHdrsImpl.decode(block) } as unknown as Msg);
    expect(raw).toEqual(meta);
    expect(viaHeaders).toEqual(meta);
  });

  it('parses a header block as nats.js does: first value wins, values trimmed, lines without a colon skipped', () => {
    const cases = [
      'NATS/1.0\r\nA: 1\r\nB:2\r\n\r\n',
      'NATS/1.0\r\nA: first\r\nA: second\r\n\r\n',
      'NATS/1.0 503\r\n\r\n',
      'NATS/1.0\r\nno colon here\r\nC:   padded   \r\nD:\r\n\r\n',
      'NATS/1.0\r\nE: a:b:c\r\n\r\n',
    ];
    for (const text of cases) {
      const block = encoder.encode(text);
      expect(parseHeaderBlock(block), text).toEqual(natsRead(block));
    }
  });

  it('refuses a call without headers, or with bad ones, as invalid_argument', () => {
    expect(() => readCallHeaders(delivered(new Uint8Array(0)))).toThrow(/no Colony headers/);
    const without = (name: string): Msg => {
      const text = new TextDecoder().decode(bytesOf(writeCallHeaders(meta)));
      return delivered(encoder.encode(text.replace(new RegExp(`\\r\\n${name}: [^\\r]*`), '')));
    };
    expect(() => readCallHeaders(without(HEADER.method))).toThrow(/Colony-Method is missing/);
    expect(() => readCallHeaders(without(HEADER.deadline))).toThrow(/Colony-Deadline must be a time/);
    const badKey = new TextDecoder().decode(bytesOf(writeCallHeaders(meta))).replace(/Colony-Key: [^\r]*/, 'Colony-Key: %E0%A4%A');
    expect(() => readCallHeaders(delivered(encoder.encode(badKey)))).toThrow(/not percent-encoded UTF-8/);
  });
});
