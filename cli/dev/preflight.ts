import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AGENT_NODE_OPTIONS, ownModule } from '../../agent-runtime/host/own-files.ts';
import type { AgentSpec } from '../../controller/manifest/agent-spec.ts';

const run = promisify(execFile);
const CHECK_ENTRY = ownModule('../../agent-runtime/host/check.ts', import.meta.url);

/** An Agent whose code cannot run: found before anything starts, instead of as a crash-looping pod. */
export class AgentCodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentCodeError';
  }
}

/**
 * Loads every Agent's module in a child process, as its pods will, and checks
 * the definition. Throws one error that lists every Agent that cannot run.
 */
export async function checkAgentCode(agents: AgentSpec[]): Promise<void> {
  const problems = await Promise.all(
    agents.map(async (agent) => {
      try {
        await run(process.execPath, ['--no-warnings', ...AGENT_NODE_OPTIONS, CHECK_ENTRY, agent.name, agent.module, agent.exportName ?? '', JSON.stringify(agent.subscriptions)], {
          env: { ...process.env, ...Object.fromEntries(agent.env.map((e) => [e.name, e.value])) },
          timeout: 60_000,
        });
        return undefined;
      } catch (error) {
        const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
        return `  ${agent.name} (${agent.origin}): ${stderr || (error as Error).message}`;
      }
    }),
  );
  const failed = problems.filter((p): p is string => p !== undefined);
  if (failed.length > 0) {
    throw new AgentCodeError(`${failed.length === 1 ? 'an agent' : `${failed.length} agents`} cannot run:\n${failed.join('\n')}`);
  }
}
