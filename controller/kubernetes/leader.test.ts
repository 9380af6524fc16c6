import { describe, expect, it } from 'vitest';
import { leaseStep } from './leader.ts';

const lease = (holder: string | undefined, renewedAt: number, seconds = 15) => ({
  spec: { holderIdentity: holder, renewTime: new Date(renewedAt) as unknown as Date, leaseDurationSeconds: seconds },
});

describe('leaseStep', () => {
  it('takes a lease that does not exist or has no holder', () => {
    expect(leaseStep(undefined, 'a', 0)).toBe('acquire');
    expect(leaseStep(lease(undefined, 0), 'a', 0)).toBe('acquire');
  });

  it('renews its own lease', () => {
    expect(leaseStep(lease('a', 1_000), 'a', 100_000)).toBe('renew');
  });

  it('waits while another holder renews in time, and takes over only once the lease expired', () => {
    expect(leaseStep(lease('b', 1_000), 'a', 1_000 + 15_000)).toBe('wait');
    expect(leaseStep(lease('b', 1_000), 'a', 1_000 + 15_001)).toBe('acquire');
  });
});
