/** Instance keys are any UTF-8 string up to this many bytes. */
export const MAX_KEY_BYTES = 256;
/** Partitions per Agent unless its spec says otherwise. */
export const DEFAULT_PARTITIONS = 64;
/** Deadline of a call when the caller does not give one. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
/** Longest deadline a caller may ask for. */
export const MAX_CALL_TIMEOUT_MS = 15 * 60_000;
/** Deepest call chain (A → B → C ...) before a call is refused as runaway recursion. */
export const MAX_CALL_DEPTH = 64;
/** NATS's default max_payload, bytes: the most one message (a call, a reply, a KV value) carries. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
/** Room left in a message for its headers (a call's, a reply's status, a KV write's expected revision). */
export const MESSAGE_HEADROOM_BYTES = 1024;

/** Why an input of `bytes` cannot be sent to `agent.method` in one message, or undefined when it can. */
export function oversizedInput(agent: string, method: string, bytes: number, maxPayloadBytes: number): string | undefined {
  const limit = maxPayloadBytes - MESSAGE_HEADROOM_BYTES;
  if (bytes <= limit) return undefined;
  return `the input of ${agent}.${method} is ${bytes.toLocaleString('en-US')} bytes as JSON, over the ${limit.toLocaleString('en-US')} bytes one call can carry (the NATS server's max_payload less room for headers). Send less, or keep large data elsewhere and pass a reference`;
}

/** Namespace used by `colony dev` and when none is configured. */
export const DEFAULT_NAMESPACE = 'default';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const METHOD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Agent and namespace names are DNS-1123 labels, as Kubernetes requires. */
export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS_LABEL.test(name);
}

export function isMethodName(name: string): boolean {
  return name.length <= 128 && METHOD_NAME.test(name);
}

export function keyByteLength(key: string): number {
  return Buffer.byteLength(key, 'utf8');
}

/** Returns why `key` is not a valid instance key, or undefined when it is. */
export function checkInstanceKey(key: string): string | undefined {
  if (key.length === 0) return 'the instance key is empty';
  const bytes = keyByteLength(key);
  if (bytes > MAX_KEY_BYTES) {
    return `the instance key is ${bytes} bytes long; keys may be at most ${MAX_KEY_BYTES} bytes of UTF-8`;
  }
  return undefined;
}
