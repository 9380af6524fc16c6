import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ownModule } from '../../agent-runtime/host/own-files.ts';
import { parseRecord, recordFile, writeRecord } from './dev-record.ts';
import type { ChildRole, DevRecord, RecordedChild } from './dev-record.ts';
import { decideClaim, describeChildren, stopLeftovers } from './leftovers.ts';
import type { ChildProcessInfo } from './platform.ts';
import { isRunning, natsServersUsing, refOf, selfRef, systemControl } from './processes.ts';
import type { ProcessRef } from './processes.ts';

/** The keeper's entry (see keeper.ts). */
export const KEEPER_ENTRY = ownModule('./keeper.ts', import.meta.url);
/** The keeper exits on SIGTERM at once; this bounds its stop when a start finds it left over. */
export const KEEPER_GRACE_MS = 1_000;

export interface ClaimOptions {
  /** Whether this colony dev starts nats-server on `<dataDir>/nats` (not with --nats-url). */
  usesStore: boolean;
  /** A line for the user (what was found and done). */
  say: (line: string) => void;
}

/**
 * Takes the data dir for this `colony dev`: refuses while the colony dev of
 * its record still runs, or while a nats-server that no colony dev recorded
 * uses its store (two servers on one store damage it); stops the processes a
 * gone colony dev left running (saying so); then records this one.
 */
export async function claimDataDir(dataDir: string, options: ClaimOptions): Promise<DataDirClaim> {
  const file = recordFile(dataDir);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  const record = text === undefined ? undefined : parseRecord(text);
  if (text !== undefined && !record) options.say(`ignoring ${file}: it is not a record that colony dev wrote`);
  const claim = decideClaim(record, isRunning);
  if (claim.kind === 'taken') {
    throw new Error(`another colony dev (pid ${claim.launcherPid}) is using the data dir ${dataDir}; stop it, or pass a different --data-dir`);
  }
  if (claim.kind === 'leftovers') {
    const them = claim.children.length === 1 ? 'it' : 'them';
    options.say(
      `the colony dev (pid ${claim.launcherPid}) that used ${dataDir} is gone, and left running ${describeChildren(claim.children)}; stopping ${them}`,
    );
    const started = Date.now();
    const outcome = await stopLeftovers(claim.children, systemControl);
    if (outcome.remaining.length > 0) {
      throw new Error(`${describeChildren(outcome.remaining)}, left running by a colony dev that is gone, did not stop even on SIGKILL; stop it, then start colony dev again`);
    }
    const killed = outcome.killed.length > 0 ? ` (with SIGKILL, as they did not stop in time: ${describeChildren(outcome.killed)})` : '';
    options.say(`stopped ${them} in ${((Date.now() - started) / 1000).toFixed(1)} s${killed}`);
  }
  if (options.usesStore) refuseForeignServers(join(dataDir, 'nats'));
  return new DataDirClaim(file, selfRef());
}

function refuseForeignServers(storeDir: string): void {
  const servers = natsServersUsing(storeDir);
  if (servers.length === 0) return;
  const pids = servers.map((server) => server.pid);
  const them = servers.length === 1 ? 'it' : 'them';
  throw new Error(
    `${pids.map((pid) => `nats-server (pid ${pid})`).join(', ')} runs on the store ${storeDir}, and no colony dev of this data dir ` +
      `started ${them}; a second server on that store would damage it: stop ${them} (kill ${pids.join(' ')}), or pass a different --data-dir`,
  );
}

/** This `colony dev`'s hold on its data dir: the record of it and of the processes it started. */
export class DataDirClaim {
  readonly file: string;
  readonly #record: DevRecord;
  #released = false;

  constructor(file: string, launcher: ProcessRef) {
    this.file = file;
    this.#record = { launcher, children: [] };
    writeRecord(file, this.#record);
  }

  /** Records the processes of one role as they are now (replacing those recorded before). */
  setChildren(role: ChildRole, children: readonly ChildProcessInfo[]): void {
    // A pod that exits after the release (a failed start) must not bring the record back.
    if (this.#released) return;
    const recorded: RecordedChild[] = children.flatMap(({ name, pid, graceMs }) => {
      const { start } = refOf(pid);
      // Gone already: nothing to record.
      return start === undefined ? [] : [{ role, name, pid, start, graceMs }];
    });
    this.#record.children = [...this.#record.children.filter((child) => child.role !== role), ...recorded];
    writeRecord(this.file, this.#record);
  }

  /** Removes the record (everything it names has stopped). */
  release(): void {
    this.#released = true;
    rmSync(this.file, { force: true });
  }
}

/**
 * Starts the keeper: a small process of its own (detached, so no terminal
 * signal reaches it) that stops, in order, what this colony dev started if it
 * dies without doing so (kill -9, a crash). Returns a function that stops it.
 */
export function startKeeper(claim: DataDirClaim): () => void {
  const child = spawn(process.execPath, [KEEPER_ENTRY, claim.file, String(process.pid)], { stdio: 'ignore', detached: true });
  if (child.pid === undefined) throw new Error(`could not start colony dev's keeper (${process.execPath} ${KEEPER_ENTRY})`);
  child.on('error', () => undefined);
  child.unref();
  claim.setChildren('keeper', [{ name: 'keeper', pid: child.pid, graceMs: KEEPER_GRACE_MS }]);
  return () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
}
