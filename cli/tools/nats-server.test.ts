import { describe, expect, it } from 'vitest';
import { natsServerEnv } from './nats-server.ts';

describe('natsServerEnv', () => {
  it('gives the local nats-server one Go processor, keeping the rest of the environment', () => {
    expect(natsServerEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', GOMAXPROCS: '1' });
  });

  it('keeps a GOMAXPROCS the user set', () => {
    expect(natsServerEnv({ GOMAXPROCS: '4' }).GOMAXPROCS).toBe('4');
  });
});
