import { describe, expect, it } from 'vitest';
import { EventStreamParser } from './event-stream.ts';

describe('EventStreamParser', () => {
  it('reads chunks and named events as the gateway sends them', () => {
    const parser = new EventStreamParser();
    expect(parser.push('data: {"step":1}\n\ndata: {"step":2}\n\nevent: end\ndata: {"chunks":2}\n\n')).toEqual([
      { event: 'message', data: '{"step":1}' },
      { event: 'message', data: '{"step":2}' },
      { event: 'end', data: '{"chunks":2}' },
    ]);
  });

  it('completes an event only when its blank line arrives, whatever the pieces', () => {
    const parser = new EventStreamParser();
    const text = 'event: error\r\ndata: {"error":{"code":"deadline_exceeded"}}\r\n\r\n';
    const events = [...text].flatMap((character) => parser.push(character));
    expect(events).toEqual([{ event: 'error', data: '{"error":{"code":"deadline_exceeded"}}' }]);
  });

  it('skips comments and joins data lines', () => {
    const parser = new EventStreamParser();
    expect(parser.push(': keep-alive\n\ndata: a\ndata: b\n\n')).toEqual([{ event: 'message', data: 'a\nb' }]);
  });
});
