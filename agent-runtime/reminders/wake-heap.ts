/** A min-heap of (wakeAt, key) with lazy deletion: the latest set() for a key wins. */
export class WakeHeap {
  readonly #heap: { at: number; key: string; version: number }[] = [];
  readonly #current = new Map<string, { at: number; version: number }>();
  #version = 0;

  get size(): number {
    return this.#current.size;
  }

  set(key: string, at: number): void {
    this.#version += 1;
    this.#current.set(key, { at, version: this.#version });
    this.#push({ at, key, version: this.#version });
  }

  delete(key: string): void {
    this.#current.delete(key);
  }

  get(key: string): number | undefined {
    return this.#current.get(key)?.at;
  }

  keys(): IterableIterator<string> {
    return this.#current.keys();
  }

  /** The earliest wake time, or undefined when empty. */
  peek(): number | undefined {
    this.#dropStale();
    return this.#heap[0]?.at;
  }

  /** Removes and returns the keys due at or before `now`. */
  takeDue(now: number): { key: string; at: number }[] {
    const due: { key: string; at: number }[] = [];
    for (;;) {
      this.#dropStale();
      const top = this.#heap[0];
      if (!top || top.at > now) return due;
      this.#pop();
      this.#current.delete(top.key);
      due.push({ key: top.key, at: top.at });
    }
  }

  #dropStale(): void {
    for (;;) {
      const top = this.#heap[0];
      if (!top || this.#current.get(top.key)?.version === top.version) return;
      this.#pop();
    }
  }

  #push(item: { at: number; key: string; version: number }): void {
    const heap = this.#heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as typeof item).at <= item.at) break;
      heap[i] = heap[parent] as typeof item;
      i = parent;
    }
    heap[i] = item;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (!last || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && (heap[right] as typeof last).at < (heap[left] as typeof last).at ? right : left;
      if ((heap[child] as typeof last).at >= last.at) break;
      heap[i] = heap[child] as typeof last;
      i = child;
    }
    heap[i] = last;
  }
}
