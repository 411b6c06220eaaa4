// Runs one `index` in its own process and reports the summary with this process's peak RSS, so a
// test can hold the engine to its memory bound. Usage: node index-child.js <libraryDir> <folder>
import { readFileSync } from 'node:fs';
import { Engine } from '../../main/engine/index.js';

const [libraryDir, folder] = process.argv.slice(2);
const engine = Engine.open({ libraryDir });
const summary = await engine.index([folder!]);
await engine.close();
process.stdout.write(JSON.stringify({ summary, maxRssBytes: peakRssBytes() }));

/**
 * This process's own peak RSS. Linux's getrusage maxrss survives exec, so a child forked from a
 * larger parent would report the parent's peak; VmHWM belongs to this process alone.
 */
function peakRssBytes(): number {
  try {
    const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kib) return Number(kib) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
