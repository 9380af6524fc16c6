import { describe, expect, it } from 'vitest';
import { natCleanupScript } from './cleanup.ts';

const SAVE = [
  '*nat',
  ':POSTROUTING ACCEPT [0:0]',
  ':CNI-aa11 - [0:0]',
  ':CNI-bb22 - [0:0]',
  ':CNI-cc33 - [0:0]',
  '-A POSTROUTING -s 10.244.0.9/32 -m comment --comment "name: \\"colony-realnode\\" id: \\"x1\\"" -j CNI-aa11',
  '-A CNI-aa11 -d 10.244.0.0/24 -m comment --comment "name: \\"colony-realnode\\" id: \\"x1\\"" -j ACCEPT',
  '-A POSTROUTING -s 10.88.0.2/32 -m comment --comment "name: \\"podman\\" id: \\"y\\"" -j CNI-bb22',
  '-A CNI-bb22 -d 10.88.0.0/16 -j ACCEPT',
  'COMMIT',
].join('\n');

describe('natCleanupScript', () => {
  it("deletes the network's rules verbatim (quoted comments intact), its chains and empty unused CNI chains, and nothing of others", () => {
    expect(natCleanupScript(SAVE, 'colony-realnode')?.split('\n')).toEqual([
      '*nat',
      '-D POSTROUTING -s 10.244.0.9/32 -m comment --comment "name: \\"colony-realnode\\" id: \\"x1\\"" -j CNI-aa11',
      '-F CNI-aa11',
      '-F CNI-cc33',
      '-X CNI-aa11',
      '-X CNI-cc33',
      'COMMIT',
      '',
    ]);
  });

  it('has nothing to do on a clean machine', () => {
    expect(natCleanupScript('*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n', 'colony-realnode')).toBeUndefined();
  });
});
