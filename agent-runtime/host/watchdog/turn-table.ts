import type { TurnWatch } from '../../activation/deps.ts';

/**
 * The turns running in a pod, in shared memory, so that a watchdog thread
 * can name them while the pod's main thread is blocked. The main thread
 * writes (TurnTable); the watchdog reads (readTurnTable). Each running turn
 * takes a slot: when it started, its deadline and `agent/key.method` as
 * UTF-8. Turns beyond the slots are only counted, with their latest deadline.
 */
export const TURN_SLOTS = 128;
const TEXT_BYTES = 192;

// Float64 header: the main thread's last tick; the latest deadline of turns without a slot.
const LAST_TICK = 0;
const OVERFLOW_DEADLINE = 1;
// Int32 header: turns without a slot.
const OVERFLOW_COUNT = 0;

export interface TurnTableBuffers {
  header: SharedArrayBuffer;
  counts: SharedArrayBuffer;
  times: SharedArrayBuffer;
  states: SharedArrayBuffer;
  text: SharedArrayBuffer;
}

export function createTurnTableBuffers(): TurnTableBuffers {
  return {
    header: new SharedArrayBuffer(2 * Float64Array.BYTES_PER_ELEMENT),
    counts: new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT),
    times: new SharedArrayBuffer(2 * TURN_SLOTS * Float64Array.BYTES_PER_ELEMENT),
    states: new SharedArrayBuffer(2 * TURN_SLOTS * Int32Array.BYTES_PER_ELEMENT),
    text: new SharedArrayBuffer(TURN_SLOTS * TEXT_BYTES),
  };
}

/** The main thread's side: implements the activations' TurnWatch; a few hundred nanoseconds a turn. */
export class TurnTable implements TurnWatch {
  readonly #header: Float64Array;
  readonly #counts: Int32Array;
  readonly #times: Float64Array;
  /** Per slot: [state (0 free, 1 written), text length]. */
  readonly #states: Int32Array;
  readonly #text: Buffer;
  readonly #free: number[] = [];
  readonly #now: () => number;

  constructor(buffers: TurnTableBuffers, now: () => number = Date.now) {
    this.#header = new Float64Array(buffers.header);
    this.#counts = new Int32Array(buffers.counts);
    this.#times = new Float64Array(buffers.times);
    this.#states = new Int32Array(buffers.states);
    this.#text = Buffer.from(buffers.text);
    this.#now = now;
    for (let slot = TURN_SLOTS - 1; slot >= 0; slot -= 1) this.#free.push(slot);
    this.tick();
  }

  /** The main thread is running (called on a short interval). */
  tick(): void {
    this.#header[LAST_TICK] = this.#now();
  }

  begin(address: string, label: string, deadline: number): number {
    const slot = this.#free.pop();
    if (slot === undefined) {
      if (deadline > (this.#header[OVERFLOW_DEADLINE] as number)) this.#header[OVERFLOW_DEADLINE] = deadline;
      Atomics.add(this.#counts, OVERFLOW_COUNT, 1);
      return -1;
    }
    Atomics.store(this.#states, 2 * slot, 0);
    this.#times[2 * slot] = this.#now();
    this.#times[2 * slot + 1] = deadline;
    const start = slot * TEXT_BYTES;
    let length = this.#text.write(address, start, TEXT_BYTES - 1, 'utf8');
    length += this.#text.write('.', start + length, TEXT_BYTES - length, 'utf8');
    length += this.#text.write(label, start + length, TEXT_BYTES - length, 'utf8');
    Atomics.store(this.#states, 2 * slot + 1, length);
    Atomics.store(this.#states, 2 * slot, 1);
    return slot;
  }

  end(slot: number): void {
    if (slot < 0) {
      if (Atomics.sub(this.#counts, OVERFLOW_COUNT, 1) === 1) this.#header[OVERFLOW_DEADLINE] = 0;
      return;
    }
    Atomics.store(this.#states, 2 * slot, 0);
    this.#free.push(slot);
  }
}

/** A running turn as the watchdog sees it. */
export interface WatchedTurn {
  /** `agent/key.method` */
  what: string;
  startedAt: number;
  deadline: number;
}

export interface TurnTableSnapshot {
  /** When the main thread last ran its tick. */
  lastTick: number;
  turns: WatchedTurn[];
  /** Turns running without a slot, and the latest of their deadlines. */
  overflow: number;
  overflowDeadline: number;
}

/** The watchdog's side: reads what the main thread wrote. */
export function readTurnTable(buffers: TurnTableBuffers): TurnTableSnapshot {
  const header = new Float64Array(buffers.header);
  const counts = new Int32Array(buffers.counts);
  const times = new Float64Array(buffers.times);
  const states = new Int32Array(buffers.states);
  const text = Buffer.from(buffers.text);
  const turns: WatchedTurn[] = [];
  for (let slot = 0; slot < TURN_SLOTS; slot += 1) {
    if (Atomics.load(states, 2 * slot) !== 1) continue;
    const length = Atomics.load(states, 2 * slot + 1);
    const turn = {
      what: text.toString('utf8', slot * TEXT_BYTES, slot * TEXT_BYTES + length),
      startedAt: times[2 * slot] as number,
      deadline: times[2 * slot + 1] as number,
    };
    // Written again meanwhile (the turn ended and another began): skip it rather than mix two turns.
    if (Atomics.load(states, 2 * slot) === 1) turns.push(turn);
  }
  return {
    lastTick: header[LAST_TICK] as number,
    turns,
    overflow: Atomics.load(counts, OVERFLOW_COUNT),
    overflowDeadline: header[OVERFLOW_DEADLINE] as number,
  };
}
