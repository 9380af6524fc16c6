import { describe, expect, it } from 'vitest';
import { COUNTER_API, COUNTER_PARTITIONS, useGatewayOverNats } from '../helpers/gateway-over-nats.ts';
import type { ErrorBody } from '../helpers/gateway-over-nats.ts';

/** The gateway's view of the registry: GET /v1/agents and /v1/agents/{agent}. */

describe('gateway over a real nats-server', () => {
  const rig = useGatewayOverNats();

  describe('agents, health and metrics', () => {
    it('lists the agents from the registry', async () => {
      const response = await rig.app.inject({ method: 'GET', url: '/v1/agents' });
      expect(response.statusCode).toBe(200);
      const { agents } = response.json<{ agents: { name: string; partitions: number; methods: Record<string, unknown> }[] }>();
      expect(agents.map((agent) => agent.name)).toEqual(['counter', 'late', 'legacy', 'sleepy']);
      expect(agents[0]).toEqual({
        name: 'counter',
        partitions: COUNTER_PARTITIONS,
        minReplicas: 0,
        maxReplicas: 3,
        kind: 'agent',
        methods: COUNTER_API.methods,
      });
      expect(agents[2]?.methods).toEqual({});
    });

    it('describes one agent, and 404s an unknown one', async () => {
      const one = await rig.app.inject({ method: 'GET', url: '/v1/agents/counter' });
      expect(one.statusCode).toBe(200);
      expect(one.json()).toMatchObject({ name: 'counter', partitions: COUNTER_PARTITIONS });
      const none = await rig.app.inject({ method: 'GET', url: '/v1/agents/nope' });
      expect(none.statusCode).toBe(404);
      expect(none.json<ErrorBody>().error.message).toContain('there is no agent named "nope"');
    });
  });
});
