/**
 * `colony/testing`: run agents in-process in a unit test, without a
 * nats-server — calls, state, reminders and timers on a test clock.
 *
 *     const t = testAgent(counter, { name: 'counter' });
 *     await t.instance('alice').increment({ by: 2 });
 *     t.state('alice'); // { count: 2 }
 */
export { testAgent, testAgents, TestAgent, TestAgents } from './test-agents.ts';
export type { PublishedEvent, StateOf, TestAgentsOptions } from './test-agents.ts';
export { TestClock } from './test-clock.ts';
export { ColonyError } from '../protocol/errors.ts';
export type { ErrorCode } from '../protocol/errors.ts';
