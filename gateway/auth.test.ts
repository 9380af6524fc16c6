import { describe, expect, it } from 'vitest';
import { ColonyError } from '../agent-runtime/protocol/errors.ts';
import { ApiTokens, MIN_API_TOKEN_LENGTH, parseApiTokens } from './auth.ts';

const refusal = (tokens: ApiTokens, authorization: string | undefined): string | undefined => {
  try {
    tokens.check(authorization);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ColonyError);
    expect((error as ColonyError).code).toBe('unauthenticated');
    return (error as ColonyError).message;
  }
};

describe('API tokens', () => {
  it('accepts "Bearer <token>" for any of the tokens, and refuses anything else saying why', () => {
    const tokens = new ApiTokens(['first-token-0123456789', 'second-token-0123456789']);
    expect(refusal(tokens, 'Bearer first-token-0123456789')).toBeUndefined();
    expect(refusal(tokens, 'bearer second-token-0123456789')).toBeUndefined();
    expect(refusal(tokens, undefined)).toMatch(/requires an API token.*Authorization: Bearer/);
    expect(refusal(tokens, '')).toMatch(/requires an API token/);
    expect(refusal(tokens, 'first-token-0123456789')).toMatch(/must be "Bearer <token>"/);
    expect(refusal(tokens, 'Bearer first token')).toMatch(/must be "Bearer <token>"/);
    expect(refusal(tokens, 'Bearer first-token-012345678')).toMatch(/not one this gateway accepts/);
  });

  it('reads COLONY_API_TOKENS: comma-separated, blanks ignored, empty means open, short tokens refused', () => {
    expect(parseApiTokens(undefined, 'COLONY_API_TOKENS')).toBeUndefined();
    expect(parseApiTokens(' , ', 'COLONY_API_TOKENS')).toBeUndefined();
    const tokens = parseApiTokens(' one-token-0123456789 ,, two-token-0123456789 ', 'COLONY_API_TOKENS');
    expect(tokens && refusal(tokens, 'Bearer two-token-0123456789')).toBeUndefined();
    expect(() => parseApiTokens('long-enough-token-123,short', 'COLONY_API_TOKENS')).toThrow(
      new RegExp(`COLONY_API_TOKENS: token 2 has 5 characters; use at least ${MIN_API_TOKEN_LENGTH}`),
    );
  });
});
