import { describe, expect, it } from 'vitest';
import { acceptsEventStream, sseChunk, sseEvent } from './sse.ts';

describe('Server-Sent Events at the gateway', () => {
  it('streams when Accept names text/event-stream, among others or with parameters, unless q=0', () => {
    expect(acceptsEventStream('text/event-stream')).toBe(true);
    expect(acceptsEventStream('application/json, text/event-stream;q=0.9')).toBe(true);
    expect(acceptsEventStream(['application/json', 'Text/Event-Stream'])).toBe(true);
    expect(acceptsEventStream('text/event-stream;q=0')).toBe(false);
    expect(acceptsEventStream('*/*')).toBe(false);
    expect(acceptsEventStream('application/json')).toBe(false);
    expect(acceptsEventStream(undefined)).toBe(false);
  });

  it('sends a chunk as one data line and names the end and an error', () => {
    expect(sseChunk('{"step":1}')).toBe('data: {"step":1}\n\n');
    expect(sseEvent('end', '{"chunks":3}')).toBe('event: end\ndata: {"chunks":3}\n\n');
    expect(sseEvent('error', '{"error":{"code":"deadline_exceeded","message":"late"}}')).toBe(
      'event: error\ndata: {"error":{"code":"deadline_exceeded","message":"late"}}\n\n',
    );
  });
});
