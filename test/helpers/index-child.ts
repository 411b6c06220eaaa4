// Runs one `index` in its own process and reports the summary with this process's peak RSS, so a
// test can hold the engine to its memory bound. Usage: node index-child.js <libraryDir> <folder>
import { Engine } from '../../main/engine/index.js';
import { peakRssBytes } from './peak-rss.js';

const [libraryDir, folder] = process.argv.slice(2);
const engine = Engine.open({ libraryDir });
const summary = await engine.index([folder!]);
await engine.close();
process.stdout.write(JSON.stringify({ summary, maxRssBytes: peakRssBytes() }));

