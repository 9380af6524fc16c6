import { createHash, timingSafeEqual } from 'node:crypto';
import { ColonyError } from '../agent-runtime/protocol/errors.ts';
import { commaList } from '../agent-runtime/protocol/shared-env.ts';

/** Shortest API token the gateway takes: a guessable token is no protection. */
export const MIN_API_TOKEN_LENGTH = 16;

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * The bearer tokens a gateway accepts on /v1 (several, so a new one can be
 * rolled out before the old one is withdrawn). Tokens are compared as
 * SHA-256 digests with timingSafeEqual, every one of them every time, so the
 * time a check takes tells nothing about how close a guess was.
 */
export class ApiTokens {
  readonly #digests: Buffer[];

  constructor(tokens: readonly string[]) {
    if (tokens.length === 0) throw new Error('ApiTokens needs at least one token');
    this.#digests = tokens.map(digest);
  }

  /** Throws `unauthenticated` unless `authorization` is `Bearer <one of the tokens>`. */
  check(authorization: string | undefined): void {
    if (authorization === undefined || authorization === '') {
      throw new ColonyError('unauthenticated', 'this gateway requires an API token: send the header "Authorization: Bearer <token>" (the colony CLI: --token or COLONY_TOKEN)');
    }
    const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(authorization);
    if (!match) throw new ColonyError('unauthenticated', 'the Authorization header must be "Bearer <token>"');
    const given = digest(match[1] as string);
    let accepted = false;
    for (const known of this.#digests) accepted = timingSafeEqual(given, known) || accepted;
    if (!accepted) throw new ColonyError('unauthenticated', 'the API token is not one this gateway accepts');
  }
}

/**
 * The tokens in COLONY_API_TOKENS (comma-separated), or undefined when it is
 * empty (the gateway is open). Throws naming the problem for a token that is
 * too short.
 */
export function parseApiTokens(text: string | undefined, variable: string): ApiTokens | undefined {
  const tokens = commaList(text);
  if (tokens.length === 0) return undefined;
  tokens.forEach((token, i) => {
    if (token.length < MIN_API_TOKEN_LENGTH) {
      throw new ColonyError('invalid_argument', `${variable}: token ${i + 1} has ${token.length} characters; use at least ${MIN_API_TOKEN_LENGTH} (e.g. openssl rand -hex 24)`);
    }
  });
  return new ApiTokens(tokens);
}
