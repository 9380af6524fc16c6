#!/usr/bin/env node
/** The `colony` command: dispatches to a subcommand. */
import { watchParent } from '../agent-runtime/host/parent-watch.ts';
import { devCommand, DEV_USAGE } from './commands/dev.ts';
import { initCommand, INIT_USAGE } from './commands/init.ts';
import { getCommand, GET_USAGE } from './commands/get.ts';
import { invokeCommand, INVOKE_USAGE } from './commands/invoke.ts';
import { remindersCommand, REMINDERS_USAGE, stateCommand, STATE_USAGE } from './commands/instances.ts';
import { manifestCommand, MANIFEST_USAGE } from './commands/manifest.ts';
import { workflowCommand, WORKFLOW_USAGE } from './commands/workflow.ts';
import { UsageError } from './usage-error.ts';

const USAGE = `colony <command> [options]

Commands:
  init [dir]                        a new project: package.json, tsconfig, an agent, its manifest and tests
  dev [dir]                         run the platform and the agents under [dir] on this machine
  invoke <agent>/<key> <method> [json]   call a method through the gateway
  get agents|pods [agent]           what runs: replicas, pods, partitions, load, scaling decisions
  get instances <agent> [--stored]  an Agent's instances in memory, or with a stored record
  state get|put|delete <agent>/<key> [json|@file|-]   read, replace or reset an instance's state
  reminders list|cancel <agent>/<key> [name]          list or cancel an instance's reminders
  workflow start|get|list|...       start, inspect and steer workflow instances
  manifest [dir...]                 the Kubernetes objects (ConfigMap with the code + Agent) for kubectl apply

Run colony <command> --help for the options of a command.

${INIT_USAGE}

${DEV_USAGE}

${INVOKE_USAGE}

${GET_USAGE}

${STATE_USAGE}

${REMINDERS_USAGE}

${WORKFLOW_USAGE}

${MANIFEST_USAGE}`;

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  init: initCommand,
  dev: devCommand,
  invoke: invokeCommand,
  get: getCommand,
  state: stateCommand,
  reminders: remindersCommand,
  workflow: workflowCommand,
  manifest: manifestCommand,
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"`, USAGE);
  await command(rest);
}

// `colony workflow history … | head`: when the reader of the output has gone, stop quietly, as a
// Unix tool does on SIGPIPE. colony dev keeps running whatever fails its output (EPIPE, or EIO once
// its terminal closed) and drains its pods when it is stopped: it ignores those errors itself
// (commands/dev.ts), which a throw from this listener, called first, would pre-empt.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (process.argv[2] === 'dev') return;
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

// Run again on Node 24 by the bin on an older node (colony.js): when that process is gone, even
// killed with SIGKILL, end as if the terminal had closed (colony dev drains and stops).
const wrapperPid = Number(process.env.COLONY_WRAPPER_PID);
delete process.env.COLONY_WRAPPER_PID;
if (Number.isInteger(wrapperPid) && wrapperPid > 0) watchParent(wrapperPid, () => process.kill(process.pid, 'SIGHUP'));

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`colony: ${error.message}\n\n${error.usage}\n`);
    process.exit(2);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`colony: ${message}\n`);
  process.exit(1);
});
