/**
 * Placement planning, a pure function. Given the current table, the pods that
 * may take partitions, and what every live pod reports it still serves, it
 * returns the next table. Moves are two-phase: a partition leaving a pod is
 * first unassigned (the pod releases it), and only assigned to its new pod
 * once no live pod reports serving it. Repeated planning converges.
 */
export interface PlanInput {
  partitions: number;
  /** The current table (`owners[p]` = pod id or null). */
  owners: readonly (string | null)[];
  /** Pods that may own partitions (live and running), in any order. */
  eligible: readonly string[];
  /** What each live pod reports serving (taking calls, or still releasing): its heartbeat's `served`. */
  served: ReadonlyMap<string, readonly number[]>;
}

/** The balanced assignment to aim for, keeping as many partitions where they are as balance allows. */
export function targetAssignment(partitions: number, owners: readonly (string | null)[], eligible: readonly string[]): (string | null)[] {
  const target: (string | null)[] = new Array<string | null>(partitions).fill(null);
  if (eligible.length === 0) return target;
  const current = new Map<string, number[]>(eligible.map((pod) => [pod, []]));
  for (let p = 0; p < partitions; p += 1) {
    const owner = owners[p];
    if (owner) current.get(owner)?.push(p);
  }
  // Pods that hold most get the larger quotas, so fewer partitions move.
  const ranked = [...eligible].sort((a, b) => (current.get(b)?.length ?? 0) - (current.get(a)?.length ?? 0) || a.localeCompare(b));
  const base = Math.floor(partitions / eligible.length);
  const extra = partitions % eligible.length;
  const quota = new Map(ranked.map((pod, i) => [pod, base + (i < extra ? 1 : 0)]));
  const free: number[] = [];
  for (const pod of ranked) {
    const mine = current.get(pod) ?? [];
    const keep = quota.get(pod) ?? 0;
    for (const [i, p] of mine.entries()) {
      if (i < keep) target[p] = pod;
      else free.push(p);
    }
  }
  for (let p = 0; p < partitions; p += 1) {
    const owner = owners[p];
    if (!owner || !current.has(owner)) free.push(p);
  }
  free.sort((a, b) => a - b);
  let cursor = 0;
  for (const pod of ranked) {
    let has = target.filter((o) => o === pod).length;
    const want = quota.get(pod) ?? 0;
    while (has < want && cursor < free.length) {
      target[free[cursor] as number] = pod;
      cursor += 1;
      has += 1;
    }
  }
  return target;
}

/** The next table: one step of the two-phase move towards the target assignment. */
export function planPlacement(input: PlanInput): (string | null)[] {
  const target = targetAssignment(input.partitions, input.owners, input.eligible);
  const servedBy = new Map<number, string[]>();
  for (const [pod, served] of input.served) {
    for (const p of served) {
      const list = servedBy.get(p) ?? [];
      list.push(pod);
      servedBy.set(p, list);
    }
  }
  const next: (string | null)[] = [];
  for (let p = 0; p < input.partitions; p += 1) {
    const current = input.owners[p] ?? null;
    const wanted = target[p] ?? null;
    if (current === wanted) {
      next.push(current);
    } else if (current !== null) {
      // Phase one: revoke. The old owner releases; the new one gets it in a later step.
      next.push(null);
    } else {
      // Phase two: assign, once nobody else still serves the partition.
      const others = (servedBy.get(p) ?? []).filter((pod) => pod !== wanted);
      next.push(others.length === 0 ? wanted : null);
    }
  }
  return next;
}

export function sameOwners(a: readonly (string | null)[], b: readonly (string | null)[]): boolean {
  return a.length === b.length && a.every((owner, i) => owner === b[i]);
}
