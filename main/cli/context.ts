import type { Command } from 'commander';
import { Engine } from '../engine/index.js';
import { writeOut } from './streams.js';

/** Exit codes: 0 success, 1 some files failed (still recorded), 2 usage error. */
export const EXIT = { ok: 0, someFailed: 1, usage: 2 } as const;

/** Options every command accepts (set before or after the command name). */
export interface GlobalOptions {
  library?: string;
  models?: string;
  device?: string;
  json?: boolean;
  readOnly?: boolean;
}

export function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

export function out(text: string): void {
  writeOut(text.endsWith('\n') ? text : `${text}\n`);
}

/** `--json` puts exactly one JSON document (or, for watch, one per line) on stdout and nothing else. */
export function emit(options: GlobalOptions, value: unknown, human: () => string): void {
  out(options.json ? JSON.stringify(value, null, 2) : human());
}

export async function withEngine<T>(options: GlobalOptions, work: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = Engine.open({ libraryDir: options.library, modelsDir: options.models, device: options.device, readOnly: options.readOnly || undefined });
  try {
    return await work(engine);
  } finally {
    await engine.close();
  }
}

/** What a command file gets to register its commands. */
export interface CommandContext {
  setExitCode(code: number): void;
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}
