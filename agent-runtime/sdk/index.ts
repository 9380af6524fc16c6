/** The SDK that agent authors import: `import { defineAgent } from 'colony'`. */
export { defineAgent, isAgentDefinition } from './agent.ts';
export { AgentError, WorkflowError } from './errors.ts';
export { defineWorkflow, isWorkflowDefinition } from './workflow.ts';
export type {
  ActivityClient,
  ActivityContext,
  ActivityFn,
  AnyWorkflowDefinition,
  EventOptions,
  RetryPolicy,
  StepOptions,
  WorkflowContext,
  WorkflowDefinition,
  WorkflowFn,
  WorkflowOptions,
} from './workflow.ts';
export type { AgentErrorCode } from './errors.ts';
export type {
  AgentContext,
  CallOptions,
  Logger,
  ReminderInfo,
  ReminderOptions,
  ReplyStream,
  Reminders,
  TaskContext,
  Tasks,
  TimerOptions,
  Timers,
} from './context.ts';
export type { AgentDefinition, AgentOptions, AnyAgentDefinition, CallClient, JsonValue, SendClient, SubscriptionOptions } from './types.ts';
export type { JsonSchema } from '../protocol/schema.ts';
