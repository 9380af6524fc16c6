#!/usr/bin/env node
/**
 * `node check.ts <name> <module> [export] [subscriptions JSON]`: loads an agent module the way a
 * pod does and checks its definition (methods, schemas), without NATS. Prints
 * `{"methods":[...]}` and exits 0, or prints why it cannot run and exits 1.
 * `colony dev` runs it for every Agent before starting anything.
 */
import { loadAgent } from '../activation/loaded-agent.ts';
import { importAgentDefinition } from './agent-module.ts';

const [name, modulePath, exportName, subscriptions] = process.argv.slice(2);
if (!name || !modulePath) {
  process.stderr.write('usage: check.ts <agent name> <module path> [export name]\n');
  process.exit(2);
}
try {
  const { definition } = await importAgentDefinition(modulePath, exportName || undefined);
  const agent = loadAgent(name, definition, { subscriptions: subscriptions ? (JSON.parse(subscriptions) as unknown[]) : [] });
  process.stdout.write(`${JSON.stringify({ methods: [...agent.methods.keys()] })}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
