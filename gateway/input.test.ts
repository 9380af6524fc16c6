import { describe, expect, it } from 'vitest';
import { thrown } from '../test/helpers/thrown.ts';
import { isJsonContentType, readInput, readJsonBody } from './input.ts';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');


describe('isJsonContentType', () => {
  it.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/merge-patch+json'])(
    'accepts %j',
    (value) => {
      expect(isJsonContentType(value)).toBe(true);
    },
  );

  it.each([undefined, 'text/plain', 'application/x-www-form-urlencoded', 'application/jsonp', 'text/json+xml'])('refuses %j', (value) => {
    expect(isJsonContentType(value)).toBe(false);
  });
});

describe('readInput', () => {
  it('returns the body bytes themselves, not a re-serialisation', () => {
    const body = bytes('{ "by" : 2 }');
    expect(readInput(body, 'application/json')).toBe(body);
  });

  it('treats an empty or missing body as no input, whatever the content-type', () => {
    expect(readInput(undefined, undefined).byteLength).toBe(0);
    expect(readInput(bytes(''), 'text/plain').byteLength).toBe(0);
  });

  it('refuses a body that is not JSON, saying where it fails', () => {
    const error = thrown(() => readInput(bytes('[1, 2'), 'application/json'));
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toMatch(/^the request body is not valid JSON: .*position 5/);
  });

  it('refuses a body that is not UTF-8', () => {
    const error = thrown(() => readInput(Buffer.from([0x22, 0xff, 0x22]), 'application/json'));
    expect(error.message).toContain('not valid UTF-8');
  });

  it('refuses a body sent with another content-type, telling the caller what to send', () => {
    const error = thrown(() => readInput(bytes('{}'), 'text/plain'));
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toContain('content-type: application/json');
    expect(thrown(() => readInput(bytes('{}'), undefined)).message).toContain('has no content-type');
  });
});

describe('readJsonBody', () => {
  it('parses a JSON body, and reads an empty one as no value', () => {
    expect(readJsonBody(bytes('{"a":[1,"é"]}'), 'application/json')).toEqual({ a: [1, 'é'] });
    expect(readJsonBody(bytes('0'), 'application/json')).toBe(0);
    expect(readJsonBody(bytes(''), 'text/plain')).toBeUndefined();
    expect(readJsonBody(undefined, undefined)).toBeUndefined();
  });

  it('refuses a body that is not JSON, or sent without a JSON content-type', () => {
    expect(thrown(() => readJsonBody(bytes('{'), 'application/json')).code).toBe('invalid_argument');
    expect(thrown(() => readJsonBody(bytes('{}'), 'text/plain')).message).toContain('content-type');
  });
});
