import { runCli } from '../../main/cli/program.js';
import type { CliResult } from './fixtures.js';

/**
 * Runs the `iris` CLI inside this test process (runCli, the function bin/iris calls, writing to
 * strings instead of the process's streams) with `env` set for the call, and gives what a process
 * would have given: the exit code and the two outputs. It saves the start of a process per call
 * (Node, sharp, SQLite and onnxruntime load once), which was most of the CLI suites' time.
 * Argument and output cases go through here; what needs a real process (signals, kill -9, watch,
 * serve, the built bin's start) keeps runIris. Calls must not overlap: the environment is the
 * process's.
 */
export async function runIrisHere(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const saved = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries(options.env ?? {})) {
    saved.set(key, process.env[key]);
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  try {
    const code = await runCli(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
    return { code, stdout, stderr };
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
