import { defineAgent } from 'colony';

/** A counter per instance key. `increment {"by": n}` → `{"count": n}`, `get` → `{"count": n}`. */
export const counter = defineAgent({
  state: () => ({ count: 0 }),
  methods: {
    increment(ctx, input: { by?: number } = {}) {
      ctx.state.count += input.by ?? 1;
      return { count: ctx.state.count };
    },
    get(ctx) {
      return { count: ctx.state.count };
    },
  },
  schemas: {
    increment: {
      type: 'object',
      properties: { by: { type: 'integer', minimum: -1_000_000, maximum: 1_000_000 } },
      additionalProperties: false,
    },
  },
  // What the methods answer, for the gateway's API document (/openapi.json, /docs); not checked at run time.
  outputs: {
    increment: { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] },
    get: { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] },
  },
});
