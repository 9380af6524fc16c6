import { describe, expect, it } from 'vitest';
import { keyByteLength } from './limits.ts';
import { fnv1a32, partitionOf } from './partition.ts';

const encoder = new TextEncoder();
const samples = ['', 'a', 'foobar', 'alice', 'tenant/7 ünïcødé ✓', '𝄞 clef', 'lone \uD800 surrogate', 'k'.repeat(256)];

/** FNV-1a over TextEncoder's bytes, written out: what every release must keep computing. */
function reference(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash >>> 0;
}

describe('partition hashing', () => {
  it('is FNV-1a 32 (the published test vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes the UTF-8 bytes TextEncoder gives, lone surrogates included, so placement never moves between releases', () => {
    for (const key of samples) {
      expect(fnv1a32(key), key).toBe(reference(key));
      expect(keyByteLength(key), key).toBe(encoder.encode(key).byteLength);
    }
    expect(partitionOf('alice', 64)).toBe(reference('alice') % 64);
  });
});
