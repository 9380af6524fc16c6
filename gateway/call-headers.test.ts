import { describe, expect, it } from 'vitest';
import { thrown } from '../test/helpers/thrown.ts';
import { DEFAULT_CALL_TIMEOUT_MS, MAX_CALL_TIMEOUT_MS } from '../agent-runtime/protocol/limits.ts';
import { parseDurationMs, parseTimeoutMs, readCallId, readTraceparent } from './call-headers.ts';


describe('parseTimeoutMs', () => {
  it('uses the default timeout when the header is absent', () => {
    expect(parseTimeoutMs(undefined)).toBe(DEFAULT_CALL_TIMEOUT_MS);
  });

  it.each([
    ['500', 500],
    ['500ms', 500],
    ['5s', 5_000],
    ['1.5s', 1_500],
    ['2m', 120_000],
    [' 250 ', 250],
    ['15m', MAX_CALL_TIMEOUT_MS],
  ])('reads %j as %d ms', (value, expected) => {
    expect(parseTimeoutMs(value)).toBe(expected);
  });

  it.each(['', 'soon', '5 s', '1.5', '-5', '5h', '5S', '0x10', 'NaN', 'Infinity'])('refuses %j, naming the header', (value) => {
    const error = thrown(() => parseTimeoutMs(value));
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toContain('X-Colony-Timeout');
    expect(error.message).toContain('5s');
  });

  it('refuses zero', () => {
    expect(thrown(() => parseTimeoutMs('0ms')).message).toContain('more than zero');
  });

  it('refuses more than the longest timeout, saying what that is', () => {
    const error = thrown(() => parseTimeoutMs('16m'));
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toContain('15m');
    expect(thrown(() => parseTimeoutMs(String(MAX_CALL_TIMEOUT_MS + 1))).code).toBe('invalid_argument');
  });

  it('refuses a header given twice', () => {
    expect(thrown(() => parseTimeoutMs(['1s', '2s'])).code).toBe('invalid_argument');
  });

  it('keeps a long bad value out of the message', () => {
    expect(thrown(() => parseTimeoutMs('x'.repeat(1000))).message.length).toBeLessThan(200);
  });
});

describe('readCallId', () => {
  const newId = (): string => 'generated';

  it('uses the Idempotency-Key when given', () => {
    expect(readCallId('order-42', newId)).toBe('order-42');
  });

  it('makes a new id otherwise', () => {
    expect(readCallId(undefined, newId)).toBe('generated');
  });

  it.each(['', 'has space', 'x'.repeat(257), 'naïve'])('refuses %j', (value) => {
    const error = thrown(() => readCallId(value, newId));
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toContain('Idempotency-Key');
  });

  it('refuses a key given twice', () => {
    expect(thrown(() => readCallId(['a', 'b'], newId)).code).toBe('invalid_argument');
  });
});

describe('readTraceparent', () => {
  const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('passes a well-formed traceparent on', () => {
    expect(readTraceparent(valid)).toBe(valid);
  });

  it.each([undefined, 'garbage', `${valid}\n`, [valid, valid]])('ignores %j', (value) => {
    expect(readTraceparent(value)).toBeUndefined();
  });
});

describe('parseDurationMs', () => {
  it('reads a duration as X-Colony-Timeout does', () => {
    expect(parseDurationMs('10s', 'query parameter wait')).toBe(10_000);
    expect(parseDurationMs('250', 'query parameter wait')).toBe(250);
  });

  it('names where a bad duration came from', () => {
    for (const value of ['soon', '0', '16m', ['1s', '2s']]) {
      const error = thrown(() => parseDurationMs(value, 'query parameter wait'));
      expect(error.code).toBe('invalid_argument');
      expect(error.message).toMatch(/^query parameter wait is /);
    }
  });
});
