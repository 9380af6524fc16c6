import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRecord, readRecord, recordFile, writeRecord } from './dev-record.ts';
import type { DevRecord } from './dev-record.ts';

const record: DevRecord = {
  launcher: { pid: 10, start: '900' },
  children: [{ role: 'nats-server', name: 'nats-server', pid: 12, start: '901', graceMs: 5_000 }],
};

describe('the record of a data dir', () => {
  it('reads back what was written, replacing the file whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'colony-record-'));
    try {
      const file = recordFile(dir);
      writeRecord(file, record);
      writeRecord(file, { ...record, children: [] });
      expect(readRecord(file)).toEqual({ ...record, children: [] });
      expect(await readdir(dir)).toEqual(['colony-dev.pid']);
      expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ launcher: { pid: 10 } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads the bare pid an older colony dev wrote (its start time unknown)', () => {
    expect(parseRecord('4242\n')).toEqual({ launcher: { pid: 4242, start: undefined }, children: [] });
  });

  it('reads nothing from a file colony dev did not write', () => {
    for (const text of ['', 'garbage', '-3', '{}', '{"launcher":{"pid":"x"}}', 'null']) expect(parseRecord(text)).toBeUndefined();
    expect(readRecord('/nonexistent/colony-dev.pid')).toBeUndefined();
  });

  it('drops children it cannot name exactly (no start time, unknown role)', () => {
    const text = JSON.stringify({
      launcher: { pid: 10, start: '900' },
      children: [
        { role: 'pod', name: 'p', pid: 13, graceMs: 1 },
        { role: 'database', name: 'd', pid: 14, start: '1', graceMs: 1 },
        ...record.children,
      ],
    });
    expect(parseRecord(text)).toEqual(record);
  });
});
