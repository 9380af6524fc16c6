import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage-error.ts';
import { parseWorkflowArgs, requestOf } from './workflow-args.ts';

const parse = (line: string[]) => parseWorkflowArgs(line, {});
const commandOf = (line: string[]) => parse(line)?.command;
const requestFor = (line: string[]) => {
  const parsed = parse(line);
  if (!parsed) throw new Error('no command');
  return requestOf(parsed.command, parsed.options);
};

function usageError(line: string[]): UsageError {
  try {
    parse(line);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`expected a usage error for ${line.join(' ')}`);
}

describe('parseWorkflowArgs', () => {
  it('reads start with an id and an input, with an input only, with an id only, and with neither', () => {
    expect(commandOf(['start', 'order', 'o-1', '{"a":1}'])).toEqual({ verb: 'start', workflow: 'order', id: 'o-1', input: '{"a":1}' });
    expect(commandOf(['start', 'order', '{"a":1}'])).toEqual({ verb: 'start', workflow: 'order', id: undefined, input: '{"a":1}' });
    expect(commandOf(['start', 'order', '[1]'])).toMatchObject({ id: undefined, input: '[1]' });
    expect(commandOf(['start', 'order', '42'])).toMatchObject({ id: '42', input: undefined });
    expect(commandOf(['start', 'order', '-', '42'])).toMatchObject({ id: undefined, input: '42' });
    expect(commandOf(['start', 'order'])).toEqual({ verb: 'start', workflow: 'order', id: undefined, input: undefined });
  });

  it('reads an instance address whose id holds slashes', () => {
    expect(commandOf(['get', 'order/tenant/7'])).toEqual({ verb: 'get', workflow: 'order', id: 'tenant/7', waitMs: undefined });
    expect(commandOf(['history', 'order/o-1'])).toEqual({ verb: 'history', workflow: 'order', id: 'o-1' });
  });

  it('reads get --wait as a duration', () => {
    expect(commandOf(['get', 'order/o-1', '--wait', '10s'])).toMatchObject({ waitMs: 10_000 });
    expect(commandOf(['get', 'order/o-1', '--wait', '15m'])).toMatchObject({ waitMs: 900_000 });
  });

  it('reads event, terminate, suspend, resume, purge and list', () => {
    expect(commandOf(['event', 'order/o-1', 'paid', '{"amount":3}'])).toEqual({ verb: 'event', workflow: 'order', id: 'o-1', name: 'paid', payload: '{"amount":3}' });
    expect(commandOf(['terminate', 'order/o-1', '--reason', 'dup'])).toEqual({ verb: 'terminate', workflow: 'order', id: 'o-1', reason: 'dup' });
    expect(commandOf(['suspend', 'order/o-1'])).toEqual({ verb: 'suspend', workflow: 'order', id: 'o-1' });
    expect(commandOf(['purge', 'order/o-1'])?.verb).toBe('purge');
    expect(commandOf(['list', 'order', '--status', 'failed', '--limit', '5', '--cursor', 'abc'])).toEqual({
      verb: 'list',
      workflow: 'order',
      status: 'failed',
      limit: 5,
      cursor: 'abc',
    });
  });

  it('takes the url and token from the options, else from the environment', () => {
    expect(parseWorkflowArgs(['get', 'order/o-1'], { COLONY_URL: 'http://gw:1', COLONY_TOKEN: 't' })?.options).toMatchObject({ url: 'http://gw:1', token: 't', json: false });
    expect(parseWorkflowArgs(['get', 'order/o-1', '--url', 'http://x', '--json'], { COLONY_URL: 'http://gw:1' })?.options).toMatchObject({ url: 'http://x', json: true });
  });

  it('answers undefined for --help', () => {
    expect(parse(['--help'])).toBeUndefined();
    expect(parse(['start', '-h'])).toBeUndefined();
  });

  it.each([
    [[], 'which workflow command'],
    [['run', 'order'], 'unknown workflow command "run"'],
    [['get', 'order'], 'written <workflow>/<id>'],
    [['get', 'order/'], 'written <workflow>/<id>'],
    [['get', 'order/o-1', '--wait', 'soon'], '--wait is "soon"'],
    [['get', 'order/o-1', '--wait', '16m'], 'at most 15m'],
    [['list', 'order', '--wait', '5s'], '--wait is for get, not list'],
    [['get', 'order/o-1', '--reason', 'x'], '--reason is for terminate'],
    [['start', 'order', 'o-1', '{nope'], 'the input is not valid JSON'],
    [['start', 'order', '{nope'], 'the input is not valid JSON'],
    [['start', 'order/o-1'], 'start needs the name of a workflow'],
    [['start', 'order', 'o-1', '{}', 'extra'], 'at most 3 arguments'],
    [['event', 'order/o-1'], 'needs the name of the event'],
    [['event', 'order/o-1', 'paid', 'nope'], 'the payload is not valid JSON'],
    [['list'], 'list needs the name of a workflow'],
    [['list', 'order', '--status', 'done'], '--status is one of running, suspended'],
    [['list', 'order', '--limit', '0'], '--limit is a whole number from 1 to 1000'],
    [['list', 'order', '--limit', 'ten'], '--limit is a whole number'],
    [['get', 'order/o-1', '--bogus'], "Unknown option '--bogus'"],
    [['history', 'order/o-1', 'more'], 'takes one argument'],
  ])('refuses %j with a usage error saying what is wrong', (line, message) => {
    const error = usageError(line);
    expect(error.message).toContain(message);
    expect(error.usage).toContain('colony workflow <command>');
  });
});

describe('requestOf', () => {
  it('starts with and without an id, sending the input and the verb headers', () => {
    expect(requestFor(['start', 'order', 'o 1/x', '{"a":1}', '--timeout', '5s', '--idempotency-key', 'k-1'])).toEqual({
      method: 'POST',
      path: '/v1/workflows/order/o%201%2Fx',
      body: '{"a":1}',
      headers: { 'x-colony-timeout': '5s', 'idempotency-key': 'k-1' },
    });
    expect(requestFor(['start', 'order'])).toEqual({ method: 'POST', path: '/v1/workflows/order', body: undefined, headers: {} });
  });

  it('builds the reads: get, get with one wait, history, list with its query', () => {
    expect(requestFor(['get', 'order/o-1'])).toEqual({ method: 'GET', path: '/v1/workflows/order/o-1' });
    const parsed = parse(['get', 'order/o-1', '--wait', '10s']);
    expect(parsed && requestOf(parsed.command, parsed.options, 9_999.5)).toEqual({ method: 'GET', path: '/v1/workflows/order/o-1?wait=10000ms' });
    expect(requestFor(['history', 'order/o-1'])).toEqual({ method: 'GET', path: '/v1/workflows/order/o-1/history' });
    expect(requestFor(['list', 'order'])).toEqual({ method: 'GET', path: '/v1/workflows/order' });
    expect(requestFor(['list', 'order', '--status', 'running', '--limit', '2', '--cursor', 'a_b-c'])).toEqual({
      method: 'GET',
      path: '/v1/workflows/order?status=running&limit=2&cursor=a_b-c',
    });
  });

  it('builds the verbs: event with its payload, terminate with its reason, suspend, resume, purge', () => {
    expect(requestFor(['event', 'order/o-1', 'paid now', '{"n":1}'])).toMatchObject({ method: 'POST', path: '/v1/workflows/order/o-1/events/paid%20now', body: '{"n":1}' });
    expect(requestFor(['terminate', 'order/o-1', '--reason', 'a "dup"'])).toMatchObject({ method: 'POST', path: '/v1/workflows/order/o-1/terminate', body: '{"reason":"a \\"dup\\""}' });
    expect(requestFor(['terminate', 'order/o-1'])).toMatchObject({ body: undefined });
    expect(requestFor(['suspend', 'order/o-1'])).toMatchObject({ method: 'POST', path: '/v1/workflows/order/o-1/suspend' });
    expect(requestFor(['resume', 'order/o-1'])).toMatchObject({ method: 'POST', path: '/v1/workflows/order/o-1/resume' });
    expect(requestFor(['purge', 'order/o-1'])).toMatchObject({ method: 'DELETE', path: '/v1/workflows/order/o-1' });
  });
});
