import { hash } from 'node:crypto';

/**
 * What identifies a request behind an idempotency key (call id): its method
 * and input. A repeat of the key with another fingerprint is another request,
 * refused with `idempotency_key_reused` (the IETF Idempotency-Key draft's 422).
 * The input is compared as JSON, so a repeat that only formats its body
 * differently is the same request.
 */
export function callFingerprint(method: string, input: unknown): string {
  let json: string;
  try {
    json = input === undefined ? '' : (JSON.stringify(input) ?? '');
  } catch {
    json = String(input);
  }
  return `${method}:${hash('sha1', json, 'base64url').slice(0, 16)}`;
}
