import { ColonyError } from './errors.ts';

/**
 * Topics: named streams of events, one JetStream stream per topic and
 * namespace (`COLONY_TOPIC_<namespace>_<topic>`, subject
 * `colony.topic.<namespace>.<topic>`). A topic's name is a DNS-label-like
 * word, so that it is a valid stream name and subject token.
 */
const TOPIC = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const MAX_TOPIC_LENGTH = 63;
/** How long a topic's stream remembers event ids to drop a publish repeated with the same id. */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;
/** Events kept per topic (a subscriber further behind than this loses the oldest). */
export const DEFAULT_TOPIC_MAX_AGE_MS = 7 * 24 * 60 * 60_000;

/** Why `topic` is not a topic name, or undefined when it is one. */
export function topicProblem(topic: string): string | undefined {
  if (TOPIC.test(topic)) return undefined;
  return `"${topic}" is not a topic name: use 1 to ${MAX_TOPIC_LENGTH} lowercase letters, digits and '-', starting and ending with a letter or digit`;
}

export function checkTopic(topic: string, where: string): void {
  const problem = topicProblem(topic);
  if (problem) throw new ColonyError('invalid_argument', `${where}: ${problem}`);
}

export function topicStream(namespace: string, topic: string): string {
  return `COLONY_TOPIC_${namespace}_${topic}`;
}

export function topicSubject(namespace: string, topic: string): string {
  return `colony.topic.${namespace}.${topic}`;
}

/** Where the events a subscriber could not handle go: a topic of their own, `<topic>-dead-letter`. */
export function deadLetterTopic(topic: string): string {
  return `${topic.slice(0, MAX_TOPIC_LENGTH - '-dead-letter'.length)}-dead-letter`;
}

/** The call id of one event's delivery to one subscription: a redelivery runs once on the instance. */
export function eventCallId(topic: string, seq: number, method: string): string {
  return `event:${topic}:${seq}:${method}`;
}

/** Where a subscription's pump keeps its cursor, in colony_cursors: everything up to it was handled. */
export function cursorKey(namespace: string, agent: string, topic: string, method: string): string {
  return `${namespace}.${agent}.${topic}.${method}`;
}
