import { describe, expect, it } from 'vitest';
import { leaseStep, ownedLeaseMetadata } from './leader.ts';

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

describe('ownedLeaseMetadata', () => {
  const owner = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'colony-controller', uid: 'u2' };

  it('makes the controller Deployment the owner of the Lease (helm uninstall then removes it)', () => {
    expect(ownedLeaseMetadata({ name: 'l' }, owner)).toEqual({ name: 'l', ownerReferences: [owner] });
  });

  it('replaces an owner of the same name from an earlier install, and keeps other owners', () => {
    const other = { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'c' };
    const earlier = { ...owner, uid: 'u1' };
    expect(ownedLeaseMetadata({ name: 'l', ownerReferences: [other, earlier] }, owner).ownerReferences).toEqual([other, owner]);
  });

  it('leaves the metadata alone when the owner is there already, or there is none', () => {
    const metadata = { name: 'l', ownerReferences: [owner] };
    expect(ownedLeaseMetadata(metadata, owner)).toBe(metadata);
    expect(ownedLeaseMetadata({ name: 'l' }, undefined)).toEqual({ name: 'l' });
  });
});
