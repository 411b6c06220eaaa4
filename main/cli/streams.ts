/**
 * Where the CLI writes its output: the process's stdout and stderr, or the streams a caller gave
 * runCli (tests that run the CLI inside their own process, where the test runner owns stdout).
 * Progress bars are the exception: they draw only on a terminal, on process.stderr.
 */
export interface CliStreams {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processStreams: CliStreams = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

let current: CliStreams = processStreams;

export function writeOut(text: string): void {
  current.stdout(text);
}

export function writeErr(text: string): void {
  current.stderr(text);
}

/** Runs `work` with the CLI writing to `streams` (one run at a time: they are the CLI's, not per call). */
export async function withStreams<T>(streams: CliStreams, work: () => Promise<T>): Promise<T> {
  const previous = current;
  current = streams;
  try {
    return await work();
  } finally {
    current = previous;
  }
}
