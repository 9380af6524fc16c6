import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../agent-runtime/observability/log.ts';
import { ColonyError } from '../agent-runtime/protocol/errors.ts';
import { answerConnectionError, connectionErrorFor, rawErrorResponse } from './http-server.ts';

const timeouts = { headersTimeout: 60_000, requestTimeout: 0 };

/** Shaped as Node's HTTP server raises them: llhttp errors carry a code and a reason. */
function parseError(code: string, reason?: string): Error & { code: string; reason: string | undefined } {
  return Object.assign(new Error(`Parse Error: ${reason ?? ''}`), { code, reason });
}

describe('connectionErrorFor', () => {
  it('turns oversized headers into 431 headers_too_large, naming the limit and what to send', () => {
    const error = connectionErrorFor(parseError('HPE_HEADER_OVERFLOW', 'Header overflow'), timeouts);
    expect(error.code).toBe('headers_too_large');
    expect(error.status).toBe(431);
    expect(error.message).toContain('larger than 16384 bytes');
    expect(error.message).toContain('send fewer or smaller headers');
  });

  it('turns a request that arrives too slowly into 408 request_timeout, with the server timeouts', () => {
    const error = connectionErrorFor({ code: 'ERR_HTTP_REQUEST_TIMEOUT' }, timeouts);
    expect(error.code).toBe('request_timeout');
    expect(error.status).toBe(408);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(
      "the request did not arrive in full in time: the gateway waits 60 s for a request's headers; send it again without pausing part-way",
    );
    expect(connectionErrorFor({ code: 'ERR_HTTP_REQUEST_TIMEOUT' }, { headersTimeout: 10_000, requestTimeout: 300_000 }).message).toContain(
      "10 s for a request's headers and 300 s for all of it",
    );
  });

  it('turns oversized chunk extensions into 413 payload_too_large', () => {
    const error = connectionErrorFor(parseError('HPE_CHUNK_EXTENSIONS_OVERFLOW', 'Chunk extensions overflow'), timeouts);
    expect(error.code).toBe('payload_too_large');
    expect(error.message).toContain('chunk extensions');
  });

  it("turns any other parse error into 400 invalid_argument with the parser's reason", () => {
    expect(connectionErrorFor(parseError('HPE_INVALID_HEADER_TOKEN', 'Invalid header token'), timeouts)).toMatchObject({
      code: 'invalid_argument',
      message: 'the request is not valid HTTP/1.1 (Invalid header token); check the client or proxy that sent it',
    });
    expect(connectionErrorFor({ code: 'HPE_SOMETHING_NEW' }, timeouts).message).toContain('(HPE_SOMETHING_NEW)');
    expect(connectionErrorFor({}, timeouts).message).toContain('(malformed)');
  });
});

describe('rawErrorResponse', () => {
  it('writes a whole HTTP/1.1 response in the error shape that closes the connection, its length in bytes', () => {
    const raw = rawErrorResponse(new ColonyError('invalid_argument', 'un défaut'));
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toBe(
      'HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: 60\r\nconnection: close',
    );
    expect(Buffer.byteLength(body ?? '')).toBe(60);
    expect(JSON.parse(body ?? '')).toEqual({ error: { code: 'invalid_argument', message: 'un défaut' } });
  });
});

describe('answerConnectionError', () => {
  const log = createLogger({ sink: () => undefined });

  /** A stand-in for the socket Node hands the clientError handler. */
  function socket(state: { writable?: boolean; destroyed?: boolean; headersSent?: boolean } = {}) {
    const written: string[] = [];
    let destroyed = state.destroyed ?? false;
    const fake = {
      writable: state.writable ?? true,
      get destroyed() {
        return destroyed;
      },
      _httpMessage: state.headersSent === undefined ? null : { headersSent: state.headersSent },
      write: (data: string) => written.push(data),
      destroy: () => {
        destroyed = true;
      },
    };
    return { socket: fake as unknown as Socket, written, isDestroyed: () => destroyed };
  }

  it('answers and closes the connection', () => {
    const { socket: s, written, isDestroyed } = socket();
    answerConnectionError(parseError('HPE_HEADER_OVERFLOW', 'Header overflow'), s, timeouts, log);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(isDestroyed()).toBe(true);
  });

  it('writes nothing over a response already under way on the connection, and still closes it', () => {
    const { socket: s, written, isDestroyed } = socket({ headersSent: true });
    answerConnectionError(parseError('HPE_INVALID_METHOD', 'Invalid method encountered'), s, timeouts, log);
    expect(written).toEqual([]);
    expect(isDestroyed()).toBe(true);
  });

  it('does nothing for a client that is gone', () => {
    const reset = socket();
    answerConnectionError({ code: 'ECONNRESET' }, reset.socket, timeouts, log);
    expect(reset.written).toEqual([]);
    const gone = socket({ destroyed: true });
    answerConnectionError(parseError('HPE_INVALID_METHOD'), gone.socket, timeouts, log);
    expect(gone.written).toEqual([]);
  });
});
