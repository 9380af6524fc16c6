import { describe, expect, it } from 'vitest';
import { ColonyError } from '../agent-runtime/protocol/errors.ts';
import { errorPayload, retryAfterOf, toColonyError, unknownAgentError, unknownMethodError } from './errors.ts';

const limits = { bodyLimitBytes: 1_040_384, maxPayloadBytes: 1_048_576 };

/** Shaped as fastify creates its errors (createError from @fastify/error). */
function fastifyError(code: string, statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { code, statusCode });
}

describe('toColonyError', () => {
  it('keeps a ColonyError as it is', () => {
    const error = new ColonyError('deadline_exceeded', 'too slow');
    expect(toColonyError(error, limits)).toEqual({ error, expected: true });
  });

  it('turns fastify body-too-large into payload_too_large with the limit', () => {
    const { error, expected } = toColonyError(fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large'), limits);
    expect(expected).toBe(true);
    expect(error.code).toBe('payload_too_large');
    expect(error.status).toBe(413);
    expect(error.message).toContain('1040384 bytes');
    expect(error.message).toContain('max_payload');
  });

  it('turns an unparsable content-type (415) into a 400 that says what to send', () => {
    const { error } = toColonyError(fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'Unsupported Media Type'), limits);
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toContain('not a media type');
    expect(error.message).toContain('content-type: application/json');
  });

  it('turns a malformed URL into invalid_argument', () => {
    const { error } = toColonyError(fastifyError('FST_ERR_BAD_URL', 400, "'/x%E0' is not a valid url component"), limits);
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toContain('percent-encoded');
  });

  it('turns a path segment over the router limit into invalid_argument without quoting it', () => {
    const path = `/v1/agents/counter/${'k'.repeat(20_000)}/get`;
    const { error, expected } = toColonyError(fastifyError('FST_ERR_MAX_PARAM_LENGTH', 414, `'${path}' is exceeding the max param length`), limits);
    expect(expected).toBe(true);
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toBe(
      'a segment of the URL path is longer than the gateway reads; an instance key is at most 256 bytes, percent-encoded as one segment',
    );
  });

  it('maps other client errors by their status', () => {
    expect(toColonyError(fastifyError('FST_SOMETHING', 404, 'gone'), limits).error.code).toBe('not_found');
    expect(toColonyError(fastifyError('FST_SOMETHING', 418, 'teapot'), limits).error.code).toBe('invalid_argument');
    expect(toColonyError(fastifyError('FST_SOMETHING', 503, 'closing'), limits)).toMatchObject({ expected: false });
  });

  it('marks anything else as an unexpected internal error without leaking its message', () => {
    const { error, expected } = toColonyError(new TypeError('cannot read properties of undefined'), limits);
    expect(expected).toBe(false);
    expect(error.code).toBe('internal');
    expect(error.status).toBe(500);
    expect(error.message).not.toContain('undefined');
    expect(toColonyError('a string', limits).error.code).toBe('internal');
  });
});

describe('errorPayload and retryAfterOf', () => {
  it('writes the gateway error shape', () => {
    expect(JSON.parse(errorPayload(new ColonyError('not_found', 'no such thing')))).toEqual({
      error: { code: 'not_found', message: 'no such thing' },
    });
  });

  it('gives Retry-After for 503 and 429 only, at least one whole second', () => {
    expect(retryAfterOf(new ColonyError('unavailable', 'x'))).toBe('1');
    expect(retryAfterOf(new ColonyError('unavailable', 'x', { retryAfterSeconds: 7 }))).toBe('7');
    expect(retryAfterOf(new ColonyError('resource_exhausted', 'x', { retryAfterSeconds: 0.2 }))).toBe('1');
    expect(retryAfterOf(new ColonyError('resource_exhausted', 'x', { retryAfterSeconds: 2.5 }))).toBe('3');
    expect(retryAfterOf(new ColonyError('internal', 'x', { retryAfterSeconds: 5 }))).toBeUndefined();
  });
});

describe('messages', () => {
  it('lists the known agents when there are few', () => {
    expect(unknownAgentError('x', 'default', ['counter', 'mailer']).message).toBe(
      'there is no agent named "x" in namespace "default"; the agents are: counter, mailer',
    );
    expect(unknownAgentError('x', 'dev', []).message).toContain('no agents are deployed in namespace "dev"');
    const many = Array.from({ length: 11 }, (_, i) => `a${i}`);
    expect(unknownAgentError('x', 'default', many).message).toContain('GET /v1/agents lists its 11 agents');
  });

  it('cuts a long name short', () => {
    expect(unknownAgentError('y'.repeat(5000), 'default', []).message.length).toBeLessThan(200);
  });

  it('names the methods of the agent', () => {
    const error = unknownMethodError('counter', 'incr', ['get', 'increment']);
    expect(error.code).toBe('not_found');
    expect(error.message).toBe('agent "counter" has no method "incr"; its methods are: get, increment');
  });
});
