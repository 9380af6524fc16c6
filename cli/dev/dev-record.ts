import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessRef } from './processes.ts';

/** The file in the data dir that says which `colony dev` uses it and which processes it started. */
export const RECORD_FILE = 'colony-dev.pid';

/** The order in which the processes of a gone `colony dev` are stopped: pods persist through NATS, so NATS goes last. */
export const CHILD_ROLES = ['keeper', 'pod', 'nats-server'] as const;
export type ChildRole = (typeof CHILD_ROLES)[number];

/** A process `colony dev` started. */
export interface RecordedChild extends ProcessRef {
  role: ChildRole;
  /** How it is named in messages: the pod id, or the role. */
  name: string;
  /** How long it may take to stop after SIGTERM before it is killed, ms. */
  graceMs: number;
}

/** What `<dataDir>/colony-dev.pid` holds (JSON); an older colony dev wrote only its pid. */
export interface DevRecord {
  launcher: ProcessRef;
  children: RecordedChild[];
}

export function recordFile(dataDir: string): string {
  return join(dataDir, RECORD_FILE);
}

/** Reads a record; undefined for none, and for one that cannot be read (it then protects nothing). */
export function parseRecord(text: string): DevRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value === 'number') return validPid(value) ? { launcher: { pid: value, start: undefined }, children: [] } : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  const { launcher, children } = value as Partial<Record<keyof DevRecord, unknown>>;
  if (!isRef(launcher)) return undefined;
  const valid = Array.isArray(children) ? children.filter(isChild) : [];
  return { launcher: { pid: launcher.pid, start: launcher.start }, children: valid };
}

export function readRecord(file: string): DevRecord | undefined {
  try {
    return parseRecord(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Replaces the record at once (a reader never sees half of one). */
export function writeRecord(file: string, record: DevRecord): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(temporary, file);
}

function validPid(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function isRef(value: unknown): value is ProcessRef {
  if (typeof value !== 'object' || value === null) return false;
  const { pid, start } = value as Partial<Record<keyof ProcessRef, unknown>>;
  return validPid(pid) && (start === undefined || typeof start === 'string');
}

function isChild(value: unknown): value is RecordedChild {
  if (!isRef(value) || typeof value.start !== 'string') return false;
  const { role, name, graceMs } = value as Partial<Record<keyof RecordedChild, unknown>>;
  return (CHILD_ROLES as readonly unknown[]).includes(role) && typeof name === 'string' && typeof graceMs === 'number' && graceMs >= 0;
}
