/** Header names of a call and its reply. Values are ASCII; the key is percent-encoded. */
export const HEADER = {
  key: 'Colony-Key',
  method: 'Colony-Method',
  /** Absolute deadline, milliseconds since the Unix epoch. */
  deadline: 'Colony-Deadline',
  /** Idempotency: a call id seen before returns the stored result. */
  callId: 'Colony-Call-Id',
  /** The call chain id: calls made while handling a call carry the same chain (reentrancy). */
  chain: 'Colony-Chain',
  /** How many calls deep this call is in its chain. */
  depth: 'Colony-Depth',
  /** W3C trace context. */
  traceparent: 'traceparent',
  /** The instance making the call (`agent/key`, percent-encoded); absent for external callers. */
  caller: 'Colony-Caller',
  /** Present (value `1`) on a one-way call: the reply only acknowledges that the call was accepted. */
  oneway: 'Colony-Oneway',
  /**
   * An operation that is not a method call (CALL_OPS in envelope.ts): `probe`
   * (deadlock detection between instances, see activation/waits.ts),
   * `workflow` (a workflow's management verb, the verb as the method),
   * `activity`, `admin` (an admin read or write of an instance, the verb as
   * the method: protocol/admin.ts). Absent on method calls.
   */
  op: 'Colony-Op',
  /**
   * How many times the caller sent this call again because the pod it waited on
   * went away (the partition changed hands); absent on a first send.
   */
  resent: 'Colony-Resent',
  /** On a reply: `ok`, or an error code. */
  status: 'Colony-Status',
  /**
   * On a call: the inbox its caller reads a streamed reply from (protocol/stream.ts).
   * On a reply: `open` — the method streams, and its chunks and end go to that inbox.
   */
  stream: 'Colony-Stream',
  /** On a streamed call: how many chunks the pod may send before the caller grants more. */
  credit: 'Colony-Credit',
  /** On a message of a streamed reply: its sequence number, from 1. */
  seq: 'Colony-Seq',
} as const;

export const STATUS_OK = 'ok';

export function encodeKeyHeader(key: string): string {
  return encodeURIComponent(key);
}

export function decodeKeyHeader(value: string): string {
  return decodeURIComponent(value);
}
