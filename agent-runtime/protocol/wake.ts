/**
 * What the partition's owner must know about an instance without loading it
 * (the value of its key in the wake index, `colony_wake`): when its next
 * reminder is due, and whether it has work that goes on by itself (background
 * tasks, a workflow run in progress). The controller reads it too, to wake an
 * Agent scaled to zero when one of its instances is due.
 */
export interface WakeEntry {
  /** The earliest due reminder, ms since the epoch; null when it has none. */
  reminderAt: number | null;
  /** It has work to resume: wake it as soon as its partition has an owner. */
  tasks: boolean;
}

/** When an entry wants its instance woken: now (work to resume), its reminder's time, or never (null). */
export function wakeTimeOf(entry: WakeEntry, now: number): number | null {
  if (entry.tasks) return now;
  return entry.reminderAt;
}
