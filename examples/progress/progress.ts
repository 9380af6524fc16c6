import { defineAgent } from 'colony';

interface Job {
  steps: number;
  stepMs: number;
  done: number;
  startedAt: number;
  finishedAt: number | null;
}

/** Room left before the call's deadline when a run stops by itself, ms: time to commit its state. */
const DEADLINE_MARGIN_MS = 500;

/** Waits `ms`; resolves false at once when `signal` aborts (the caller went away, the deadline passed, the pod drains). */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The job `input` asks for: the one in `state` when it has the same steps and did not finish (resumed), else a new one. */
function resumeOrStart(state: { job: Job | null }, input: { steps: number; stepMs?: number }): Job {
  const job = state.job;
  if (job && job.finishedAt === null && job.steps === input.steps) return job;
  state.job = { steps: input.steps, stepMs: input.stepMs ?? 1_000, done: 0, startedAt: Date.now(), finishedAt: null };
  return state.job;
}

/**
 * A job per key that works step by step for as long as it takes (give the call a
 * deadline that long: `X-Colony-Timeout: 10m`). `run` streams one chunk per step,
 * `{"step": 3, "of": 10, "percent": 30}`, and keeps the job in its state. The
 * whole run is one turn: its state is committed when it ends — also when it ends
 * early because the caller went away or the pod drains (the method returns when
 * its signal aborts, so what it did is kept), or because its deadline is near
 * (a turn past its deadline would be rolled back). Then `run` with the same steps
 * resumes where it stopped, on whichever pod has the key now; `status` shows the
 * job between runs.
 */
export const progress = defineAgent({
  state: () => ({ job: null as Job | null, runs: 0 }),
  methods: {
    async *run(ctx, input: { steps: number; stepMs?: number }) {
      const job = resumeOrStart(ctx.state, input); // the same steps again: goes on from job.done
      ctx.state.runs += 1;
      while (job.done < job.steps) {
        // A turn that passes its deadline is rolled back: stop before it, keeping what was done (call again to go on).
        if (Date.now() + job.stepMs + DEADLINE_MARGIN_MS > ctx.deadline) return;
        if (!(await pause(job.stepMs, ctx.signal))) return; // stopped early: the turn keeps job.done
        job.done += 1;
        yield { step: job.done, of: job.steps, percent: Math.round((100 * job.done) / job.steps) };
      }
      job.finishedAt = Date.now();
    },
    status(ctx) {
      const { job, runs } = ctx.state;
      if (!job) return { state: 'idle', runs };
      return { state: job.finishedAt === null ? 'stopped' : 'finished', step: job.done, of: job.steps, runs };
    },
  },
  schemas: {
    run: {
      type: 'object',
      properties: { steps: { type: 'integer', minimum: 1, maximum: 1_000_000 }, stepMs: { type: 'integer', minimum: 0, maximum: 3_600_000 } },
      required: ['steps'],
      additionalProperties: false,
    },
  },
});
