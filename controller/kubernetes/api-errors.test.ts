import { describe as suite, expect, it } from 'vitest';
import { describe, statusOf } from './api-errors.ts';

suite('Kubernetes API errors', () => {
  it('reads the HTTP status from code or statusCode', () => {
    expect(statusOf(Object.assign(new Error('x'), { code: 404 }))).toBe(404);
    expect(statusOf({ statusCode: 409 })).toBe(409);
    expect(statusOf(new Error('no status'))).toBeUndefined();
    expect(statusOf({ code: 'ECONNREFUSED' })).toBeUndefined();
  });

  it("prefers the API server's message to the error's", () => {
    expect(describe({ body: JSON.stringify({ message: 'deployments.apps "x" is forbidden' }) })).toBe('deployments.apps "x" is forbidden');
    expect(describe({ body: { message: 'field is immutable' } })).toBe('field is immutable');
    expect(describe({ body: 'upstream connect error' })).toBe('upstream connect error');
    expect(describe(new Error('socket hang up'))).toBe('socket hang up');
  });
});
