import { defineAgent } from 'colony';
import type { AnyAgentDefinition } from 'colony';

/**
 * `measure {agent, key, method, n}` calls `agent/key.method` n times, one
 * after another, from inside this pod, and returns each call's latency in
 * microseconds. With agent = prober it measures same-pod (in-process) calls.
 */
export const prober = defineAgent({
  state: () => ({}),
  methods: {
    async measure(ctx, input: { agent: string; key: string; method: string; n: number }): Promise<{ micros: number[] }> {
      const micros: number[] = [];
      const target = ctx.call<AnyAgentDefinition>(input.agent, input.key, { timeoutMs: 10_000 }) as Record<string, () => Promise<unknown>>;
      const method = target[input.method] as () => Promise<unknown>;
      for (let i = 0; i < input.n; i += 1) {
        const started = process.hrtime.bigint();
        await method();
        micros.push(Number(process.hrtime.bigint() - started) / 1000);
      }
      return { micros };
    },
    get: () => ({ count: 0 }),
  },
});
