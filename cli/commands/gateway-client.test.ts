import { describe, expect, it } from 'vitest';
import { callHeaders, DEFAULT_GATEWAY_URL, gatewayErrorText, gatewayOptions } from './gateway-client.ts';

describe('the gateway client of the CLI', () => {
  it('shows the gateway error body as code: message, and any other answer as it is', () => {
    expect(gatewayErrorText('{"error":{"code":"not_found","message":"no agent counter"}}')).toBe('not_found: no agent counter');
    expect(gatewayErrorText('{"ok":true}')).toBe('{"ok":true}');
    expect(gatewayErrorText('Bad Gateway')).toBe('Bad Gateway');
  });

  it('sends a deadline and an idempotency key only when given', () => {
    expect(callHeaders({ timeout: undefined, idempotencyKey: undefined })).toEqual({});
    expect(callHeaders({ timeout: '5s', idempotencyKey: 'k-1' })).toEqual({ 'x-colony-timeout': '5s', 'idempotency-key': 'k-1' });
  });

  it('takes --url and --token from COLONY_URL and COLONY_TOKEN by default', () => {
    expect(gatewayOptions({})).toEqual({ url: { type: 'string', default: DEFAULT_GATEWAY_URL }, token: { type: 'string', default: undefined } });
    expect(gatewayOptions({ COLONY_URL: 'http://gw:80', COLONY_TOKEN: 't' })).toMatchObject({ url: { default: 'http://gw:80' }, token: { default: 't' } });
  });
});
