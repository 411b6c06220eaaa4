/**
 * Does memory stay flat over many answers? A benchmark, not a test:
 * `npm run bench:answer-memory -- [--answers N] [--turns N] [--captions N] [--max-tokens N] [--photo FILE] [--write]`.
 *
 * One LocalChatProvider, the way the app holds it (loaded once, kept between questions), on the
 * same-shape random-weight SmolVLM-256M-Instruct of the generation bench (random-smolvlm.ts: the
 * real vision encoder, 17 image tiles, 30-layer decoder; its KV cache for one answer is ~1,150
 * prompt tokens x 30 layers x 2 x 3 heads x 64 x 4 bytes, about 50 MB). It answers --answers
 * questions about one photo, each a new conversation, then one conversation of --turns turns
 * (each turn sends the whole history again). The process's resident set (after a full GC, so
 * JavaScript garbage does not count) is read after each answer. If a KV cache or an image's
 * tensors outlived its answer, RSS would climb by ~50 MB an answer; the table gives the slope
 * of a least-squares line through the readings after the first few answers (allocator warm-up).
 *
 * Then the caption batch's case: one Captioner (the random-weight Florence-2-base of the
 * generation bench, random-florence2.ts) captions the photo --captions times, decoded afresh each
 * time as the caption job does, RSS read every 10 captions: a library of thousands of photos is
 * captioned by one held model, so its memory must level off.
 *
 * Flags: --answers N (30), --turns N (8), --captions N (100), --max-tokens N (24: short answers, as the point is what
 * each answer leaves behind), --photo FILE (the generation bench's Flickr JPEG), --random-models
 * DIR (.cache/generation-bench-models/), --write (replace the "Memory over many answers" section of
 * BENCHMARKS.md). Run it as the npm script, which starts Node with --expose-gc.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ChatMessage, PreparedImage } from '../../main/engine/ask/types.js';
import { Captioner } from '../../main/engine/generation/captioner.js';
import { LocalChatProvider } from '../../main/engine/generation/local-chat.js';
import { decodePhoto } from '../../main/engine/generation/photo-image.js';
import { loadTransformers } from '../../main/engine/generation/transformers-runtime.js';
import { GenerativeCatalogPreprocessingSchema } from '../../main/engine/models/catalog.js';
import { ensureVerified } from '../../main/engine/models/verified.js';
import { loadOrt } from '../../main/engine/runtime/session.js';
import { samplePhotosDir } from '../helpers/fixtures.js';
import { commandLine, machineBasics, markdownTable, positiveInt, provenance, writeBenchmarksSection } from './benchmarks-md.js';
import { ensureRandomFlorence2 } from './random-florence2.js';
import { ensureRandomSmolVlm } from './random-smolvlm.js';
import { RANDOM_GENERATION_MODELS_DIR } from './random-vit-gpt2.js';

const SECTION_START = '<!-- bench:answer-memory:start -->';
const SECTION_END = '<!-- bench:answer-memory:end -->';
const DEFAULT_PHOTO = path.join(samplePhotosDir, '2569067123_aca715a2ee_o.jpg');
/** Readings before this answer are left out of the slope: the allocators' pools fill during the first answers. */
const WARM_UP = 3;

const { values } = parseArgs({
  options: {
    answers: { type: 'string', default: '30' },
    turns: { type: 'string', default: '8' },
    captions: { type: 'string', default: '100' },
    'max-tokens': { type: 'string', default: '24' },
    photo: { type: 'string', default: DEFAULT_PHOTO },
    'random-models': { type: 'string', default: RANDOM_GENERATION_MODELS_DIR },
    write: { type: 'boolean', default: false },
  },
});
const answers = positiveInt('answers', values.answers, 1000);
const turns = positiveInt('turns', values.turns, 100);
const maxTokens = positiveInt('max-tokens', values['max-tokens'], 4096);
const captions = positiveInt('captions', values.captions, 100_000);
if (answers <= WARM_UP + 1) throw new Error(`--answers must be above ${WARM_UP + 1}: the first ${WARM_UP} are warm-up`);
if (captions < 30) throw new Error('--captions must be at least 30: readings every 10, the first 10 are warm-up');

const collect = (globalThis as { gc?: () => void }).gc;
/** Resident set after a full GC, in MiB. */
function settledRss(): number {
  collect?.();
  return process.memoryUsage.rss() / 2 ** 20;
}

/** Least-squares slope of y over x. */
function slope(points: readonly [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

const mib = (value: number) => `${value.toFixed(0)} MiB`;
const signedMib = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)} MiB`;

const log = (message: string) => process.stderr.write(`answer-memory: ${message}\n`);
const random = await ensureRandomSmolVlm(values['random-models'], log);
const prep = GenerativeCatalogPreprocessingSchema.parse(random.entry.preprocessing);
await Promise.all([loadTransformers(), loadOrt()]);
await ensureVerified(random.modelsDir, random.entry);
// Decoded once, as the app's AskService hands a local model the photo.
const pixels = await decodePhoto(values.photo, prep.image_long_edge);
const image: PreparedImage = { mime: 'pixels', pixels, width: pixels.width, height: pixels.height };
const decoding = { maxTokens, temperature: 0 };

const beforeLoad = settledRss();
const chat = await LocalChatProvider.load(random.modelsDir, random.entry, { device: 'cpu' });
const afterLoad = settledRss();
log(`loaded ${random.entry.id}: ${mib(afterLoad)} (${signedMib(afterLoad - beforeLoad)})`);

const separate: [number, number][] = [];
let tokens = 0;
for (let i = 1; i <= answers; i++) {
  const answer = await chat.answer({ image, history: [], question: 'What is in this photo?', decoding });
  tokens += answer.tokens;
  separate.push([i, settledRss()]);
  log(`answer ${i}/${answers}: ${mib(separate.at(-1)![1])}`);
}

const history: ChatMessage[] = [];
const conversation: [number, number][] = [];
for (let turn = 1; turn <= turns; turn++) {
  const question = `Question ${turn}: what else is in this photo?`;
  const answer = await chat.answer({ image, history, question, decoding });
  history.push({ role: 'user', text: question }, { role: 'assistant', text: answer.text });
  conversation.push([turn, settledRss()]);
  log(`turn ${turn}/${turns}: ${mib(conversation.at(-1)![1])}`);
}
await chat.close();
const afterClose = settledRss();

const florence = await ensureRandomFlorence2(values['random-models'], log);
await ensureVerified(florence.modelsDir, florence.entry);
const captioner = await Captioner.load(florence.modelsDir, florence.entry, { device: 'cpu' });
const captionerLoaded = settledRss();
const captionReadings: [number, number][] = [];
for (let i = 1; i <= captions; i++) {
  await captioner.caption(await decodePhoto(values.photo, captioner.imageLongEdge), 'brief', { decoding: { maxTokens } });
  if (i % 10 === 0) {
    captionReadings.push([i, settledRss()]);
    log(`caption ${i}/${captions}: ${mib(captionReadings.at(-1)![1])}`);
  }
}
await captioner.release();

const steady = separate.filter(([i]) => i > WARM_UP);
// The second half of the caption readings: the pools fill (and the allocator settles) in the first.
const halfway = captionReadings[Math.floor((captionReadings.length - 1) / 2)]!;
const secondHalf = captionReadings.filter(([i]) => i >= halfway[0]).map(([, rss]) => rss);
const perAnswer = slope(steady);
const perTurn = conversation.length > 2 ? slope(conversation.slice(1)) : 0;
const first = separate[0]![1];
const last = separate.at(-1)![1];
const rows: string[][] = [
  ['after load', mib(afterLoad), `${signedMib(afterLoad - beforeLoad)} for the three sessions (Node, onnxruntime and transformers.js loaded before)`],
  ['after answer 1', mib(first), 'the first answer fills the allocators\' pools (activations, the KV cache)'],
  ...[WARM_UP + 1, Math.ceil(answers / 2), answers].filter((n, i, all) => all.indexOf(n) === i).map((n) => [`after answer ${n}`, mib(separate[n - 1]![1]), `${signedMib(separate[n - 1]![1] - first)} from answer 1`]),
  ['slope over separate answers', `${signedMib(perAnswer)} per answer`, `least squares over answers ${WARM_UP + 1}-${answers}; a KV cache kept per answer would be ~+50 MiB`],
  [`one conversation, ${turns} turns`, `${mib(conversation[0]![1])} → ${mib(conversation.at(-1)![1])}`, `${signedMib(perTurn)} per turn after the first (each turn's prompt repeats the history, so a larger cache while it runs)`],
  ['after close', mib(afterClose), `${signedMib(afterClose - afterLoad)} from after load: what the answers held was the sessions' (onnxruntime's arenas), and it goes back`],
  [
    `${florence.entry.id}: after caption 10 / ${halfway[0]} / ${captions}`,
    captionReadings.filter(([i]) => i === 10 || i === halfway[0] || i === captions).map(([, rss]) => mib(rss)).join(' / '),
    `loaded at ${mib(captionerLoaded)}; the photo decoded afresh for each caption, as the caption job does`,
  ],
  [
    `captions ${halfway[0]}-${captions}`,
    `${signedMib(captionReadings.at(-1)![1] - halfway[1])} (readings ${mib(Math.min(...secondHalf))}-${mib(Math.max(...secondHalf))})`,
    'the second half of the batch: what a caption batch over a whole library adds once the pools have filled',
  ],
];
const header = ['Reading', 'Resident set', 'Notes'];
const table = markdownTable(rows, header);
process.stdout.write(`${table}\n`);
log(`${answers + turns} answers, ${tokens} tokens in the separate ones; RSS ${mib(first)} → ${mib(last)}`);

if (values.write) {
  const date = new Date().toISOString().slice(0, 10);
  // Run straight with node, say --expose-gc too: without it the readings include JavaScript garbage.
  const command = commandLine('bench:answer-memory', 'dist/test/bench/answer-memory-bench.js', process.argv.slice(2)).replace(/^node /, collect ? 'node --expose-gc ' : 'node ');
  const section = [
    SECTION_START,
    '## Memory over many answers (bench:answer-memory)',
    '',
    ...provenance(machineBasics(), date, command),
    `- Models: ${random.entry.id} and ${florence.entry.id} (random weights in SmolVLM-256M-Instruct's and Florence-2-base's shapes, fp32, CPU), each held like the app holds it; ${maxTokens} tokens per answer or caption, greedy; RSS after a full GC${collect ? '' : ' (no --expose-gc: JavaScript garbage included)'}`,
    '',
    table,
    '',
    SECTION_END,
  ].join('\n');
  writeBenchmarksSection(SECTION_START, SECTION_END, section);
  log('wrote BENCHMARKS.md');
}
