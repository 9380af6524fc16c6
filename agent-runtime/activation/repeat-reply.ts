import { ColonyError } from '../protocol/errors.ts';
import type { StoredReply } from '../protocol/stored-record.ts';
import { idempotencyConflict } from './mailbox.ts';
import { errorReply } from './reply.ts';
import type { Reply } from './reply.ts';
import { formatBytes } from './state-json.ts';

/**
 * The answer to a repeat of a call this instance already ran (same call id):
 * its remembered reply; `idempotency_key_reused` when the repeat's
 * `fingerprint` (its method and input) is not the first one's;
 * `result_not_kept` when the reply was too large to keep.
 */
export function repeatReply(remembered: StoredReply, callId: string, fingerprint: string, where: string): Reply {
  if (remembered.fp !== undefined && remembered.fp !== fingerprint) return errorReply(idempotencyConflict(callId));
  if (remembered.omitted !== undefined) {
    return errorReply(
      new ColonyError(
        'result_not_kept',
        `call ${JSON.stringify(callId)} (${where}) already ran at ${new Date(remembered.at).toISOString()}; its result (${formatBytes(remembered.omitted)}) was too large to keep beside the instance's state for repeats, and the call is not run again`,
      ),
    );
  }
  return remembered.body === undefined ? { status: remembered.status } : { status: remembered.status, body: remembered.body };
}
