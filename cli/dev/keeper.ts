#!/usr/bin/env node
/**
 * Entry of `colony dev`'s keeper (started by it as `keeper.ts <record file>
 * <colony dev pid>`, detached). While colony dev runs it only watches it;
 * when colony dev is gone without having stopped what it started (kill -9, a
 * crash), it stops those processes in the order that keeps data (pods, then
 * nats-server; see stopLeftovers) and exits. colony dev stops it on its own stop.
 * Decision 15.
 */
import { watchParent } from '../../agent-runtime/host/parent-watch.ts';
import { readRecord } from './dev-record.ts';
import { stopLeftovers } from './leftovers.ts';
import { systemControl } from './processes.ts';

const [file, launcher] = process.argv.slice(2);
const launcherPid = Number(launcher);
if (!file || !Number.isInteger(launcherPid) || launcherPid <= 0) {
  process.stderr.write('usage: keeper.ts <record file> <colony dev pid>\n');
  process.exit(2);
}

watchParent(
  launcherPid,
  () => {
    const record = readRecord(file);
    // Only what the colony dev this keeper watched started: a new one may have taken the data dir meanwhile.
    const children = record?.launcher.pid === launcherPid ? record.children.filter((child) => child.role !== 'keeper') : [];
    stopLeftovers(children, systemControl).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  },
  { keepAlive: true },
);
