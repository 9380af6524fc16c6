import { describe, expect, it } from 'vitest';
import { EffectQueue } from './effect-queue.ts';
import { EventInbox } from './event-inbox.ts';
import type { Step } from './step.ts';

const step = (k: number, name = 'add'): Step => ({ k, kind: 'activity', name, callId: `c${k}`, started: 0, attempts: 0, settled: false, resolve: () => undefined, reject: () => undefined });

describe('the effect queue of a run', () => {
  it('runs at most `max` attempts at once, in order, and starts the next when one ends', async () => {
    const started: number[] = [];
    const finish = new Map<number, () => void>();
    const queue = new EffectQueue(2, () => true, (s) => {
      started.push(s.k);
      return new Promise<void>((resolve) => finish.set(s.k, resolve));
    });
    for (const k of [0, 1, 2, 3]) queue.push(step(k));
    queue.pump();
    expect({ started, running: queue.running, waiting: queue.waiting }).toEqual({ started: [0, 1], running: 2, waiting: 2 });
    finish.get(1)?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
  });

  it('starts nothing while the run does not let it, and forgets what waits when cleared', () => {
    let open = false;
    const started: number[] = [];
    const queue = new EffectQueue(10, () => open, (s) => {
      started.push(s.k);
      return Promise.resolve();
    });
    queue.push(step(0));
    queue.pump();
    expect(started).toEqual([]);
    open = true;
    queue.clear();
    queue.pump();
    expect({ started, waiting: queue.waiting }).toEqual({ started: [], waiting: 0 });
  });

  it('starts a long queue in the order it was filled, across many takes and pushes', async () => {
    const started: number[] = [];
    const queue = new EffectQueue(3, () => true, (s) => {
      started.push(s.k);
      return Promise.resolve();
    });
    for (let k = 0; k < 5_000; k += 1) queue.push(step(k));
    queue.pump();
    for (let k = 5_000; k < 6_000; k += 1) queue.push(step(k));
    while (queue.waiting > 0 || queue.running > 0) await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(Array.from({ length: 6_000 }, (_, k) => k));
  });
});

describe('the event inbox of a run', () => {
  it('gives events to the steps waiting for their name, oldest with oldest, and keeps the rest', () => {
    const inbox = new EventInbox();
    inbox.keep('decision', 'first');
    inbox.keep('decision', 'second');
    inbox.keep('other', 'x');
    const [a, b] = [step(0, 'decision'), step(1, 'decision')];
    inbox.wait(a);
    expect([...inbox.matches()]).toEqual([[a, 'first']]);
    inbox.wait(b);
    expect([...inbox.matches()]).toEqual([[b, 'second']]);
    expect([...inbox.matches()]).toEqual([]);
  });

  it('claims an event id once (a raise sent again is journaled once), and takes a replayed event off its queue', () => {
    const inbox = new EventInbox();
    expect([inbox.claim('e1'), inbox.claim('e1'), inbox.claim(undefined), inbox.claim(undefined)]).toEqual([true, false, true, true]);
    inbox.keep('decision', 'taken in the journal');
    inbox.keep('decision', 'still kept');
    inbox.takeReplayed('decision');
    const waiting = step(2, 'decision');
    inbox.wait(waiting);
    inbox.unwait(waiting);
    expect([...inbox.matches()]).toEqual([]);
    inbox.wait(waiting);
    expect([...inbox.matches()]).toEqual([[waiting, 'still kept']]);
  });
});
