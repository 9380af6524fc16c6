import { describe, expect, it } from 'vitest';
import type { ColonyError } from './errors.ts';
import { chunkJson, ConsumerWindow, decodeControl, encodeControl, MAX_STREAM_WINDOW, outOfOrder, oversizedChunk, parseCredit, ProducerCredit } from './stream.ts';

describe('the stream protocol', () => {
  it('round-trips control messages and ignores what it does not understand', () => {
    expect(decodeControl(encodeControl({ credit: 8 }))).toEqual({ credit: 8 });
    expect(decodeControl(encodeControl({ cancel: 'the HTTP client disconnected' }))).toEqual({ cancel: 'the HTTP client disconnected' });
    for (const text of ['', 'nope', '{"credit":0}', '{"credit":-1}', '{"credit":1.5}', `{"credit":${MAX_STREAM_WINDOW + 1}}`, '{"other":1}', 'null']) {
      expect(decodeControl(text)).toBeUndefined();
    }
  });

  it('reads the credit a call asks for, and refuses one out of range, naming the header', () => {
    expect(parseCredit('16')).toBe(16);
    for (const value of ['', '0', '-3', '2.5', 'lots', String(MAX_STREAM_WINDOW + 1)]) {
      expect(() => parseCredit(value)).toThrow(/header Colony-Credit must be a whole number from 1 to 1024/);
    }
  });

  it('says which chunk is over the payload limit, by how much, and what to do', () => {
    expect(oversizedChunk('streamer.big on b', 2, 1_000, 1_048_576)).toBeUndefined();
    expect(oversizedChunk('streamer.big on b', 2, 1_047_552, 1_048_576)).toBeUndefined();
    expect(oversizedChunk('streamer.big on b', 2, 1_100_002, 1_048_576)).toBe(
      "chunk 2 of streamer.big on b is 1,100,002 bytes as JSON, over the 1,047,552 bytes one message can carry (the NATS server's max_payload less room for headers); send smaller chunks",
    );
  });

  it('turns a chunk into JSON, and refuses one JSON cannot hold', () => {
    expect(chunkJson('a.m on k', 1, { step: 1 })).toBe('{"step":1}');
    expect(chunkJson('a.m on k', 1, null)).toBe('null');
    expect(() => chunkJson('a.m on k', 3, undefined)).toThrow('chunk 3 of a.m on k is undefined; chunks are JSON values (use null for nothing)');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const error = (() => {
      try {
        chunkJson('a.m on k', 4, cycle);
      } catch (thrown) {
        return thrown as ColonyError;
      }
      return undefined;
    })();
    expect(error?.code).toBe('method_failed');
    expect(error?.message).toMatch(/^chunk 4 of a\.m on k is not JSON: /);
  });

  it('lets the producer send only what was granted', () => {
    const credit = new ProducerCredit(2);
    expect([credit.take(), credit.take(), credit.take()]).toEqual([true, true, false]);
    credit.grant(1);
    expect([credit.take(), credit.take()]).toEqual([true, false]);
  });

  it('grants again once half the window was consumed, so in flight never exceeds the window', () => {
    const window = new ConsumerWindow(8);
    const grants = Array.from({ length: 12 }, () => window.consumed());
    expect(grants).toEqual([0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4]);
    // Producer and consumer together: the producer is never more than the window ahead.
    const producer = new ProducerCredit(8);
    const consumer = new ConsumerWindow(8);
    let sent = 0;
    let read = 0;
    for (let round = 0; round < 100; round += 1) {
      while (producer.take()) sent += 1;
      expect(sent - read).toBeLessThanOrEqual(8);
      read += 1;
      const grant = consumer.consumed();
      if (grant > 0) producer.grant(grant);
    }
    expect(read).toBe(100);
  });

  it('grants after every chunk with a window of one', () => {
    const window = new ConsumerWindow(1);
    expect([window.consumed(), window.consumed()]).toEqual([1, 1]);
  });

  it('notices a lost message: a retryable error', () => {
    expect(outOfOrder(3, { kind: 'chunk', seq: 3, data: new Uint8Array() })).toBeUndefined();
    const gap = outOfOrder(3, { kind: 'end', seq: 5, status: 'ok', data: new Uint8Array() });
    expect(gap?.code).toBe('unavailable');
    expect(gap?.message).toContain("the stream's message 5 arrived where 3 was expected");
  });
});
