// Runs every compiled test file with Node's own test runner. Node 20's `--test` takes no globs,
// so the files are listed here.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
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
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
