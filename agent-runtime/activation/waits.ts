import type { CallMeta } from '../protocol/envelope.ts';
import { ColonyError } from '../protocol/errors.ts';
import type { Activation } from './activation.ts';
import { stepProbe } from './deadlock.ts';
import type { Probe } from './deadlock.ts';
import { refusesInCycle, twoCycleError } from './mailbox.ts';
import { errorReply } from './reply.ts';

/**
 * Which instances an activation's running turns wait on, and what follows
 * from it (decision 5):
 * - two chains waiting on each other (A → B while B → A) are caught where the
 *   second call arrives (mailbox.ts `admit`) or where the second wait starts
 *   (here): exactly one of the two calls is refused, the one whose chain id
 *   sorts after the other's;
 * - longer cycles (A → B → C → A) are found by probes (deadlock.ts): the
 *   instance a probe comes back to refuses the queued call that closes the
 *   cycle. When two instances of one cycle find it at once, each refuses its
 *   own call, so more than one chain of that cycle may be refused.
 */

/** A request/reply call of a running turn to `target` (`agent/key`) starts (+1) or ends (-1). */
export function noteWait(activation: Activation, target: string, delta: 1 | -1): void {
  activation.waits ??= new Map();
  const count = (activation.waits.get(target) ?? 0) + delta;
  if (count > 0) activation.waits.set(target, count);
  else activation.waits.delete(target);
  if (delta === 1 && count === 1) {
    refuseTwoCycle(activation, target);
    probeIfBlocking(activation);
  }
}

/** The turn now waits on `target`, whose call may already wait here: the two chains wait on each other. */
function refuseTwoCycle(activation: Activation, target: string): void {
  const running = activation.runningChain;
  if (running === undefined) return;
  refuseQueued(
    activation,
    (meta) => meta.caller === target && !meta.oneway && meta.chain !== running && refusesInCycle(meta.chain, running),
    () => twoCycleError(activation.address, target),
  );
}

/**
 * While this instance waits on others and calls from other instances wait
 * on it, it may close a wait cycle: probe along what it waits on.
 */
export function probeIfBlocking(activation: Activation): void {
  const { waits, queue } = activation;
  if (!waits || waits.size === 0) return;
  if (!queue?.some((work) => work.op === 'call' && work.meta.caller && !work.meta.oneway)) return;
  for (const target of waits.keys()) activation.deps.sendProbe(target, { origin: activation.address, path: [] });
}

/** Handles a deadlock probe that reached this instance (see deadlock.ts). */
export function onProbe(activation: Activation, probe: Probe): void {
  if (activation.inTurn === 0) return;
  const step = stepProbe(probe, activation.address, activation.waits?.keys() ?? []);
  if (step.kind === 'forward') {
    for (const target of step.to) activation.deps.sendProbe(target, step.probe);
  } else if (step.kind === 'cycle' && probe.path.length > 1) {
    // A cycle of two came back: the direct checks settle those with one refusal (see above).
    const cycle = `a wait cycle of ${probe.path.length + 1} instances (${[activation.address, ...probe.path].join(' → ')} → ${activation.address})`;
    const from = step.from;
    refuseQueued(
      activation,
      (meta) => meta.caller === from && !meta.oneway,
      () => new ColonyError('aborted', `deadlock avoided: ${cycle}; the call of ${from} to ${activation.address} was refused, retry it`),
    );
  }
}

function refuseQueued(activation: Activation, select: (meta: CallMeta) => boolean, error: () => ColonyError): void {
  const queue = activation.queue;
  if (!queue) return;
  for (let i = queue.length - 1; i >= 0; i -= 1) {
    const work = queue[i];
    if (!work || work.op !== 'call' || !select(work.meta)) continue;
    queue.splice(i, 1);
    activation.deps.counters.queued -= 1;
    work.resolve(errorReply(error()));
  }
}
