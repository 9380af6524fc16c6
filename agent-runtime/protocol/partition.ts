/**
 * FNV-1a, 32 bit, over the UTF-8 bytes of `text`. Stable across processes and releases.
 * (Buffer.from, not TextEncoder: the same bytes, from Node's pooled allocator instead of a
 * new ArrayBuffer per call, on every call's path in the gateway and the pod.)
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The partition an instance lives in: hash(placementKey) mod partitions. */
export function partitionOf(placementKey: string, partitions: number): number {
  return fnv1a32(placementKey) % partitions;
}

/**
 * The placement key of an instance key: the key itself, or, when its Agent
 * declares a key delimiter (`spec.placement.keyDelimiter`), the part before its
 * first occurrence — `tenant7:1234` with `:` is placed as `tenant7`, beside
 * every other Agent's instance `tenant7` of the same placement group.
 */
export function placementKeyOf(key: string, keyDelimiter: string | undefined): string {
  if (!keyDelimiter) return key;
  const at = key.indexOf(keyDelimiter);
  return at < 0 ? key : key.slice(0, at);
}
