import { describe, expect, it } from 'vitest';
import { formatInstancePage, instancesPath, instancesQuery } from './get-instances.ts';
import { instanceRequestOf, parseInstanceArgs } from './instance-args.ts';
import { formatInstanceAnswer, formatReminders, stateText } from './instances.ts';

const parse = (command: 'state' | 'reminders', line: string) => parseInstanceArgs(command, line.split(' '), { COLONY_URL: 'http://gw:1' });

describe('colony state and colony reminders', () => {
  it('read each command into its gateway request', () => {
    const cases: [command: 'state' | 'reminders', line: string, request: object][] = [
      ['state', 'get counter/alice', { method: 'GET', path: '/v1/agents/counter/alice/state' }],
      ['state', 'put counter/tenant/7 {"count":5} --idempotency-key k --timeout 5s', { method: 'PUT', path: '/v1/agents/counter/tenant%2F7/state', body: '{"count":5}', headers: { 'idempotency-key': 'k', 'x-colony-timeout': '5s' } }],
      ['state', 'delete counter/alice', { method: 'DELETE', path: '/v1/agents/counter/alice/state', headers: {} }],
      ['reminders', 'list alarm/a', { method: 'GET', path: '/v1/agents/alarm/a/reminders' }],
      ['reminders', 'cancel alarm/a wake-up', { method: 'DELETE', path: '/v1/agents/alarm/a/reminders/wake-up', headers: {} }],
    ];
    for (const [command, line, request] of cases) {
      const parsed = parse(command, line);
      expect(parsed?.options.url, line).toBe('http://gw:1');
      const state = parsed?.command.verb === 'state-put' ? parsed.command.state : undefined;
      expect(instanceRequestOf(parsed!.command, parsed!.options, state), line).toEqual(request);
    }
  });

  it('says what is wrong with the arguments (a usage error, exit code 2)', () => {
    const cases: [command: 'state' | 'reminders', line: string, message: string][] = [
      ['state', 'fetch counter/a', 'unknown state command "fetch"; one of: get, put, delete'],
      ['state', 'get counter', 'state get needs an instance, written <agent>/<key> (e.g. counter/alice), not "counter"'],
      ['state', 'put counter/a', 'state put needs the new state: JSON, @file or - (stdin) after the instance'],
      ['state', 'get counter/a extra', 'state get takes only the instance; "extra" is one too many'],
      ['reminders', 'cancel alarm/a', 'reminders cancel needs the name of the reminder after the instance'],
      ['reminders', 'list alarm/a --stored', "Unknown option '--stored'"],
    ];
    for (const [command, line, message] of cases) {
      expect(() => parse(command, line), line).toThrow(expect.objectContaining({ name: 'UsageError', message: expect.stringContaining(message) }));
    }
    expect(parse('state', '--help')).toBeUndefined();
  });

  it('takes the new state as JSON, from a file (@file) or from stdin (-), and refuses what is not JSON', async () => {
    const read = { file: async (path: string) => (path === 'state.json' ? '{"count": 3}\n' : Promise.reject(new Error('ENOENT'))), stdin: async () => '[1,2]\n' };
    expect(await stateText('{"count":1}', read)).toBe('{"count":1}');
    expect(await stateText('@state.json', read)).toBe('{"count": 3}');
    expect(await stateText('-', read)).toBe('[1,2]');
    await expect(stateText('{count:1}', read)).rejects.toThrow(/^the state is not valid JSON/);
    await expect(stateText('@missing.json', read)).rejects.toThrow('could not read the state from missing.json: ENOENT');
  });

  it('prints the state as JSON, a sentence for a change, and the reminders as a table', () => {
    const target = { agent: 'alarm', key: 'a' };
    expect(formatInstanceAnswer({ verb: 'state-get', ...target }, { state: { count: 1 } })).toBe('{\n  "count": 1\n}\n');
    expect(formatInstanceAnswer({ verb: 'state-delete', ...target }, {})).toBe('reset alarm/a to its initial state (its reminders are cancelled)\n');
    expect(formatInstanceAnswer({ verb: 'reminders-cancel', ...target, name: 'r' }, {})).toBe('cancelled the reminder "r" of alarm/a\n');
    const dueAt = Date.UTC(2026, 10, 29, 6, 0, 3);
    expect(formatReminders({ ...target, reminders: [{ name: 'r', method: 'ring', dueAt, everyMs: 60_000, input: { name: 'r' }, failures: 2, retryAt: dueAt + 1_000 }] })).toBe(
      'NAME  METHOD  DUE                          EVERY  FAILURES  INPUT\nr     ring    2026-11-29 06:00:04 (retry)  1m     2         {"name":"r"}\n',
    );
    expect(formatReminders({ ...target, reminders: [] })).toBe('(no reminders on alarm/a)\n');
  });
});

describe('colony get instances', () => {
  it('asks for a page of the instances in memory or stored', () => {
    const query = instancesQuery('counter', { stored: true, limit: '2', cursor: 'YQ' }, 'usage');
    expect(instancesPath(query)).toBe('/v1/agents/counter/instances?stored=true&limit=2&cursor=YQ');
    expect(instancesPath(instancesQuery('counter', {}, 'usage'))).toBe('/v1/agents/counter/instances');
    expect(() => instancesQuery(undefined, {}, 'usage')).toThrow('get instances needs the name of an agent');
    expect(() => instancesQuery('counter', { limit: '0' }, 'usage')).toThrow('--limit is a whole number from 1 to 1000, not "0"');
  });

  it('prints a table, the pods that did not answer, and the command for the next page', () => {
    const query = instancesQuery('counter', { limit: '1' }, 'usage');
    const page = { agent: 'counter', stored: false, instances: [{ key: 'alice', partition: 3, pod: 'counter-1' }], next: 'YWxpY2U', unanswered: ['counter-2'] };
    expect(formatInstancePage(page, query)).toBe(
      'KEY    PARTITION  POD\nalice  3          counter-1\npods that did not answer in time (their instances are missing): counter-2\nmore: colony get instances counter --limit 1 --cursor YWxpY2U\n',
    );
    expect(formatInstancePage({ agent: 'counter', stored: true, instances: [] }, query)).toBe('(no stored instances of counter)\n');
  });
});
