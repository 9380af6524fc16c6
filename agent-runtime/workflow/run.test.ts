import { describe, expect, it } from 'vitest';
import { createLogger } from '../observability/log.ts';
import { ColonyError } from '../protocol/errors.ts';
import type { JournalEntry } from '../protocol/workflow.ts';
import type { WorkflowContext, WorkflowFn } from '../sdk/workflow.ts';
import { MemoryJournal } from './memory-journal.ts';
import { WorkflowRun } from './run.ts';
import type { RunEnd } from './run-deps.ts';
import type { Step } from './step.ts';

const silent = createLogger({ sink: () => undefined });

interface Harness {
  run: WorkflowRun;
  journal: MemoryJournal;
  executed: string[];
  timers: Map<number, number>;
  ended: Promise<RunEnd>;
  statuses: unknown[];
}

/** A run over an in-memory journal; activities answer through `answer` (default: echo their input). */
function harness(
  body: WorkflowFn,
  options: { messages?: JournalEntry[][]; answer?: (step: Step, attempt: number) => Promise<unknown> | unknown; now?: () => number; input?: unknown } = {},
): Harness {
  const journal = new MemoryJournal();
  for (const message of options.messages ?? []) journal.messages.push(message);
  const executed: string[] = [];
  const timers = new Map<number, number>();
  const statuses: unknown[] = [];
  let finish!: (end: RunEnd) => void;
  const ended = new Promise<RunEnd>((resolve) => {
    finish = resolve;
  });
  const run = new WorkflowRun({
    workflow: 'wf',
    id: 'one',
    run: 1,
    input: options.input ?? {},
    body,
    agent: 'wf',
    retry: { initialDelayMs: 1 },
    journal,
    effects: {
      execute: async (step, attempt) => {
        executed.push(`${step.k}:${step.name}#${attempt}`);
        if (options.answer) return options.answer(step, attempt);
        return step.effect && 'input' in step.effect ? step.effect.input : undefined;
      },
      setTimer: async (k, due) => void timers.set(k, due),
      cancelTimer: async (k) => void timers.delete(k),
      childOutcome: async () => undefined,
    },
    now: options.now ?? (() => 1_000),
    log: silent,
    onEnd: finish,
    onBroken: (error) => finish({ status: 'failed', error: { code: 'internal', message: error.message } }),
    onStatus: (value) => statuses.push(value),
    maxInflight: 100,
    maxSteps: 1_000,
  });
  return { run, journal, executed, timers, ended, statuses };
}

const add = (ctx: WorkflowContext, i: number): Promise<number> => (ctx.activities() as unknown as { add(i: number): Promise<number> }).add(i);

const sequential: WorkflowFn = async (ctx, input: { n: number }) => {
  let sum = 0;
  for (let i = 0; i < input.n; i += 1) sum += await add(ctx, i);
  return { sum };
};

const parallel: WorkflowFn = async (ctx, input: { n: number }) => {
  const results = await Promise.all(Array.from({ length: input.n }, (_, i) => add(ctx, i)));
  return { sum: results.reduce((a, b) => a + b, 0) };
};

/** Runs `body` live to its end and returns its journal. */
async function journalOf(body: WorkflowFn, input: unknown): Promise<JournalEntry[][]> {
  const live = harness(body, { input });
  await live.run.start([]);
  await live.ended;
  return live.journal.messages;
}

describe('a workflow run, live', () => {
  it('runs steps one after another, journaling each result before the body sees it', async () => {
    const h = harness(sequential, { input: { n: 3 } });
    await h.run.start([]);
    expect(await h.ended).toEqual({ status: 'completed', output: { sum: 3 } });
    expect(h.executed).toEqual(['0:add#1', '1:add#1', '2:add#1']);
    expect(h.journal.entries.map((e) => (e.t === 'done' && e.ok ? `${e.k}=${JSON.stringify(e.value)}` : e.t))).toEqual(['0=0', '1=1', '2=2', 'end']);
  });

  it('groups the results of a fan-out into few journal messages', async () => {
    const h = harness(parallel, { input: { n: 200 } });
    await h.run.start([]);
    expect(await h.ended).toEqual({ status: 'completed', output: { sum: 19_900 } });
    expect(h.journal.entries.filter((e) => e.t === 'done')).toHaveLength(200);
    expect(h.journal.messages.length).toBeLessThan(10);
  });

  it('retries a failed activity with backoff, journaling each failed attempt, and fails the step after the last', async () => {
    const flaky = harness(sequential, { input: { n: 1 }, answer: (_step, attempt) => (attempt < 3 ? Promise.reject(new ColonyError('unavailable', 'try again')) : 7) });
    await flaky.run.start([]);
    expect(await flaky.ended).toEqual({ status: 'completed', output: { sum: 7 } });
    expect(flaky.executed).toEqual(['0:add#1', '0:add#2', '0:add#3']);
    expect(flaky.journal.entries.filter((e) => e.t === 'retry').map((e) => e.t === 'retry' && e.attempt)).toEqual([1, 2]);

    const broken = harness(sequential, { input: { n: 1 }, answer: () => Promise.reject(new ColonyError('invalid_argument', 'bad input')) });
    await broken.run.start([]);
    const end = await broken.ended;
    expect(end).toMatchObject({ status: 'failed', error: { code: 'invalid_argument', message: 'bad input' } });
    expect(broken.executed).toEqual(['0:add#1']);
  });

  it('sets a durable timer for a sleep, and goes on when it fires', async () => {
    const h = harness(async (ctx) => {
      await ctx.sleep(5_000);
      return 'woke';
    });
    await h.run.start([]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(h.timers.get(0)).toBe(6_000);
    expect(h.journal.entries[0]).toMatchObject({ t: 'timer', k: 0, due: 6_000 });
    await h.run.timerFired(0);
    expect(await h.ended).toEqual({ status: 'completed', output: 'woke' });
  });

  it('gives an event to the step waiting for it, keeps one that came early, and times a wait out', async () => {
    const h = harness(async (ctx) => {
      const first = await ctx.waitForEvent('go');
      const second = await ctx.waitForEvent('go');
      try {
        await ctx.waitForEvent('never', { timeoutMs: 100 });
      } catch (error) {
        return { first, second, timedOut: (error as ColonyError).code };
      }
      return 'no';
    });
    await h.run.start([]);
    await h.run.event('go', { n: 1 });
    await h.run.event('go', { n: 2 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await h.run.timerFired(2);
    expect(await h.ended).toEqual({ status: 'completed', output: { first: { n: 1 }, second: { n: 2 }, timedOut: 'deadline_exceeded' } });
  });

  it('holds results while suspended and runs no further step after terminate', async () => {
    const h = harness(sequential, { input: { n: 3 } });
    h.run.suspend();
    await h.run.start([]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(h.executed).toEqual([]);
    h.run.resume();
    await h.ended;
    const t = harness(async (ctx) => {
      await ctx.sleep(1_000);
      return add(ctx, 1);
    });
    await t.run.start([]);
    await t.run.terminate('enough');
    await t.run.timerFired(0);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(t.executed).toEqual([]);
    expect(t.journal.entries.at(-1)).toMatchObject({ t: 'end', status: 'terminated', reason: 'enough' });
  });

  it('fails a step whose result is too large for the journal, clearly, and keeps writing the journal', async () => {
    const h = harness(async (ctx) => {
      try {
        await add(ctx, 1);
      } catch (error) {
        return { failed: (error as ColonyError).code, step: (error as { step?: number }).step };
      }
      return 'no';
    }, { answer: () => 'x'.repeat(5_000) });
    h.journal.maxBytes = 1_000;
    await h.run.start([]);
    expect(await h.ended).toEqual({ status: 'completed', output: { failed: 'result_too_large', step: 0 } });
  });

  it('continues as new: the run ends with the next input', async () => {
    const h = harness(async (ctx, input: { round: number }) => {
      await add(ctx, input.round);
      ctx.continueAsNew({ round: input.round + 1 });
    }, { input: { round: 1 } });
    await h.run.start([]);
    expect(await h.ended).toEqual({ status: 'continued', input: { round: 2 } });
  });
});

describe('a workflow run, replayed from its journal', () => {
  it('does not run again what the journal completed, and finishes the rest', async () => {
    const full = await journalOf(sequential, { n: 4 });
    // As if the pod died after the first two results were stored.
    const cut = full.flat().filter((e) => e.t === 'done' && e.k < 2).map((e) => [e]);
    const h = harness(sequential, { input: { n: 4 }, messages: cut });
    await h.run.start(cut);
    expect(await h.ended).toEqual({ status: 'completed', output: { sum: 6 } });
    expect(h.executed).toEqual(['2:add#1', '3:add#1']);
  });

  it('replays a fan-out without running any of its finished activities', async () => {
    const messages = await journalOf(parallel, { n: 50 });
    const without = messages.map((message) => message.filter((e) => e.t !== 'end')).filter((m) => m.length > 0);
    const h = harness(parallel, { input: { n: 50 } });
    await h.run.start(without);
    expect(await h.ended).toEqual({ status: 'completed', output: { sum: 1_225 } });
    expect(h.executed).toEqual([]);
  });

  it('keeps deterministic values, timers and retries as they were', async () => {
    let clock = 1_000;
    const body: WorkflowFn = async (ctx) => {
      const at = await ctx.now();
      const id = await ctx.uuid();
      await ctx.sleep(60_000);
      return { at, id };
    };
    const live = harness(body, { now: () => clock });
    await live.run.start([]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const before = live.journal.messages.map((m) => [...m]);
    clock = 50_000;
    const again = harness(body, { now: () => clock });
    await again.run.start(before);
    expect(again.timers.get(2)).toBe(61_000);
    await again.run.timerFired(2);
    const end = await again.ended;
    const nowEntry = before.flat().find((e) => e.t === 'done' && e.step === 'now');
    const uuidEntry = before.flat().find((e) => e.t === 'done' && e.step === 'uuid');
    expect(end).toEqual({ status: 'completed', output: { at: 1_000, id: uuidEntry?.t === 'done' && uuidEntry.ok ? uuidEntry.value : 'x' } });
    expect(nowEntry).toBeDefined();
  });

  it('replays a race between an event and a timer the way it went', async () => {
    const body: WorkflowFn = async (ctx) => {
      const winner = await Promise.race([ctx.waitForEvent('approve').then(() => 'event'), ctx.sleep(10_000).then(() => 'timer')]);
      return winner;
    };
    const live = harness(body);
    await live.run.start([]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await live.run.timerFired(1);
    expect(await live.ended).toEqual({ status: 'completed', output: 'timer' });
    const messages = live.journal.messages.map((m) => m.filter((e) => e.t !== 'end')).filter((m) => m.length > 0);
    // An event that arrived after the timer won changes nothing on replay.
    messages.push([{ t: 'event', name: 'approve', at: 2_000 }]);
    const replay = harness(body);
    await replay.run.start(messages);
    expect(await replay.ended).toEqual({ status: 'completed', output: 'timer' });
  });

  it('fails as nondeterministic, naming the step, when the code takes another step than the journal', async () => {
    const messages = await journalOf(sequential, { n: 2 });
    const changed: WorkflowFn = async (ctx) => {
      await add(ctx, 0);
      await ctx.sleep(1);
      return 'changed';
    };
    const h = harness(changed);
    await h.run.start(messages.map((m) => m.filter((e) => e.t !== 'end')));
    const end = await h.ended;
    expect(end).toMatchObject({ status: 'failed', error: { code: 'nondeterministic' } });
    expect(end.status === 'failed' && end.error.message).toMatch(/step 1 \(activity add\) is in the journal, but the code now takes sleep sleep there/);
  });

  it('lets changed code keep old runs on the old path with patched()', async () => {
    const oldBody: WorkflowFn = async (ctx) => {
      await add(ctx, 1);
      return add(ctx, 2);
    };
    const newBody: WorkflowFn = async (ctx) => {
      await add(ctx, 1);
      if (ctx.patched('double')) return (await add(ctx, 2)) * 2;
      return add(ctx, 2);
    };
    // A run started on the old code whose journal went past the marker's point, replayed on the new code: the old path.
    const oldRun = (await journalOf(oldBody, {})).map((m) => m.filter((e) => e.t === 'done' && e.k <= 1)).filter((m) => m.length > 0);
    const replay = harness(newBody);
    await replay.run.start(oldRun);
    expect(await replay.ended).toEqual({ status: 'completed', output: 2 });
    expect(replay.executed).toEqual([]);
    // A run started on the new code: the new path, also when it is replayed.
    const fresh = await journalOf(newBody, {});
    expect(fresh.flat().some((e) => e.t === 'patch' && e.id === 'double')).toBe(true);
    const again = harness(newBody);
    await again.run.start(fresh.map((m) => m.filter((e) => e.t !== 'end' && !(e.t === 'done' && e.k === 1))).filter((m) => m.length > 0));
    expect(await again.ended).toEqual({ status: 'completed', output: 4 });
  });
});
