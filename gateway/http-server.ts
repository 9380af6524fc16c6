import { createServer, maxHeaderSize as MAX_HEADER_BYTES, STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyServerFactory } from 'fastify';
import { ColonyError } from '../agent-runtime/protocol/errors.ts';
import type { StructuredLogger } from '../agent-runtime/observability/log.ts';
import { errorHeaders, errorPayload, quote } from './errors.ts';

/**
 * Node's HTTP server under fastify, and the errors Node would otherwise
 * answer itself, in its own words or none: a request it cannot parse, headers
 * over its limit, a request that arrives too slowly (fastify's
 * clientErrorHandler), an HTTP/1.1 request without Host and an Expect other
 * than 100-continue (the server below). Each gets the gateway's error shape.
 */

/** Most bytes of chunk extensions Node's HTTP parser reads in a request body (since CVE-2024-22019). */
export const MAX_CHUNK_EXTENSION_BYTES = 16 * 1024;

/** The server settings an error message quotes. */
export type ServerTimeouts = Pick<Server, 'headersTimeout' | 'requestTimeout'>;

/** An error Node's HTTP server raises on a connection: a parse error (HPE_*) or a timeout. */
export interface ConnectionError {
  code?: unknown;
  /** llhttp's reason for a parse error, such as "Invalid header token". */
  reason?: unknown;
}

/** What the caller of a request Node could not take in full is told. */
export function connectionErrorFor(error: ConnectionError, timeouts: ServerTimeouts): ColonyError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ColonyError(
        'headers_too_large',
        `the request's headers are larger than ${MAX_HEADER_BYTES} bytes (request line included), the most the gateway reads; ` +
          'send fewer or smaller headers (large cookies or tokens are the usual cause)',
      );
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new ColonyError(
        'payload_too_large',
        `the chunk extensions in the request body are larger than ${MAX_CHUNK_EXTENSION_BYTES} bytes, the most the gateway reads; ` +
          'send the body without chunk extensions',
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT': {
      const whole = timeouts.requestTimeout > 0 ? ` and ${timeouts.requestTimeout / 1_000} s for all of it` : '';
      return new ColonyError(
        'request_timeout',
        `the request did not arrive in full in time: the gateway waits ${timeouts.headersTimeout / 1_000} s for a request's headers${whole}; ` +
          'send it again without pausing part-way',
      );
    }
    default: {
      const reason = typeof error.reason === 'string' ? error.reason : String(error.code ?? 'malformed');
      return new ColonyError('invalid_argument', `the request is not valid HTTP/1.1 (${reason}); check the client or proxy that sent it`);
    }
  }
}

/** A whole HTTP/1.1 response carrying `error`, for a connection no ServerResponse speaks on; it closes the connection. */
export function rawErrorResponse(error: ColonyError): string {
  const body = errorPayload(error);
  const lines = Object.entries(closingHeaders(error, body)).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\n${lines.join('')}\r\n${body}`;
}

/** The headers of a response that carries `error` as `body`, then closes the connection. */
function closingHeaders(error: ColonyError, body: string): Record<string, string> {
  return { ...errorHeaders(error), 'content-length': String(Buffer.byteLength(body)), connection: 'close' };
}

/** True once a response on this connection has begun (Node's own check before it answers a client error). */
function responseUnderWay(socket: Socket): boolean {
  return (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage?.headersSent === true;
}

/**
 * fastify's clientErrorHandler: answers what Node's HTTP parser or its
 * timeouts refused, then closes the connection. Nothing is written when the
 * client is gone, or over a response already on its way on that connection.
 */
export function answerConnectionError(error: ConnectionError, socket: Socket, timeouts: ServerTimeouts, log: StructuredLogger): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const answer = connectionErrorFor(error, timeouts);
  log.debug('refused a request the HTTP server could not take', { code: String(error.code), status: answer.status });
  if (socket.writable && !responseUnderWay(socket)) socket.write(rawErrorResponse(answer));
  socket.destroy();
}

function writeError(response: ServerResponse, error: ColonyError): void {
  const body = errorPayload(error);
  response.writeHead(error.status, closingHeaders(error, body)).end(body);
}

function lacksHost(request: IncomingMessage): boolean {
  return request.headers.host === undefined && request.httpVersionMajor === 1 && request.httpVersionMinor === 1;
}

/**
 * fastify's serverFactory: the HTTP server fastify would create (with the
 * timeouts it sets, lib/server.js), except that the two requests Node answers
 * with a bare status line reach the gateway's own answer: an HTTP/1.1 request
 * without Host (RFC 9112 wants a 400) and an Expect header other than
 * 100-continue (Node's answer would be a 417). The check costs one property
 * read per request, in front of fastify's handler.
 */
export const createGatewayServer: FastifyServerFactory = (handler, options) => {
  const server = createServer({ requireHostHeader: false }, (request, response) => {
    if (lacksHost(request)) {
      writeError(response, new ColonyError('invalid_argument', 'the request has no Host header, which HTTP/1.1 requires; send one'));
      return;
    }
    handler(request, response);
  });
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const expectation = String(request.headers.expect);
    writeError(
      response,
      new ColonyError(
        'invalid_argument',
        `the request's Expect header asks for ${quote(expectation)}, which the gateway cannot meet (it meets only 100-continue); send the request without it`,
      ),
    );
  });
  // maxRequestsPerSocket stays unset: Node would answer the requests over it with a bare 503.
  server.keepAliveTimeout = Number(options.keepAliveTimeout);
  server.requestTimeout = Number(options.requestTimeout);
  server.setTimeout(Number(options.connectionTimeout));
  return server;
};
