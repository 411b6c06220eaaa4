// Runs every compiled test file with Node's own test runner. Node 20's `--test` takes no globs,
// so the files are listed here.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve('dist', 'test');
const filter = process.argv[2];
const files = fs
  .readdirSync(root, { recursive: true })
  .filter((file) => String(file).endsWith('.test.js'))
  .map((file) => path.join(root, String(file)))
  .filter((file) => !filter || file.includes(filter))
  .sort();
if (files.length === 0) {
  console.error(`no test files under ${root}${filter ? ` matching ${filter}` : ''}: run \`npm run build\` first`);
  process.exit(1);
}
// Test files at once: IRIS_TEST_CONCURRENCY, else at least 3 (Node's own default, cores - 1, runs
// one file at a time on 2 cores, while many files spend their time waiting on child processes,
// sockets and timers: 3 at once took the phase from 162 s to 106 s on 2 cores).
const concurrency = process.env.IRIS_TEST_CONCURRENCY ?? String(Math.max(3, os.availableParallelism() - 1));
if (!/^[1-9][0-9]*$/.test(concurrency)) {
  console.error(`IRIS_TEST_CONCURRENCY must be a whole number of test files at once, not "${concurrency}"`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
