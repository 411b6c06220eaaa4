import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { fixtureModels } from '../helpers/colour-photos.js';
import { sha256, tempDir } from '../helpers/fixtures.js';
import { runIrisHere } from '../helpers/cli-in-process.js';

/** `iris generate`, `iris edit` (with --repeat and --edges) and `iris edits` on the fixture Stable Diffusion models. */

interface EditJson {
  id: number;
  sourcePhotoId: number | null;
  outputPath: string;
  outputPhotoId: number | null;
  params: { mode: string; seed: number; steps: number; width: number; height: number; scheduler: string; prompt: string };
}

describe('iris generate and iris edit', () => {
  const library = tempDir('iris-cli-edit-lib-');
  const outputs = tempDir('iris-cli-edit-out-');
  const photos = tempDir('iris-cli-edit-photos-');
  const photo = path.join(photos, 'blue.jpg');
  const common = ['--library', library, '--models', fixtureModels];
  const iris = (...args: string[]) => runIrisHere([...args, ...common]);
  const json = async <T>(...args: string[]): Promise<T> => {
    const result = await iris(...args, '--json');
    assert.equal(result.code, 0, `iris ${args.join(' ')}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };

  before(async () => {
    await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 20, g: 40, b: 220 } } }).jpeg().toFile(photo);
    (await json('index', photos));
    (await json('settings', 'set', 'output-folder', outputs));
  });

  it('generates a new image into the output folder, prints its settings, and lists it', async () => {
    const edit = (await json<EditJson>('generate', '--prompt', 'a red kite', '--seed', '11', '--steps', '8', '--width', '80', '--height', '64'));
    assert.equal(path.dirname(edit.outputPath), fs.realpathSync(outputs));
    assert.deepEqual([edit.params.mode, edit.params.seed, edit.params.steps, edit.params.width, edit.params.height, edit.params.scheduler], ['txt2img', 11, 8, 80, 64, 'dpmpp-2m-karras']);
    assert.ok(edit.outputPhotoId !== null, 'added to the library');
    const { channels } = await sharp(edit.outputPath).stats();
    assert.ok(channels[0]!.mean > 170 && channels[2]!.mean < 90, 'a red image');
    const human = (await iris('edits'));
    assert.match(human.stdout, new RegExp(`edit ${edit.id}: .*generated-txt2img-11\\.png`));
  });

  it('edits a photo into a new file, and --repeat makes the same bytes; the photo is untouched', async () => {
    const before = sha256(photo);
    const edit = (await json<EditJson>('edit', photo, '--mode', 'img2img', '--prompt', 'red', '--strength', '0.5', '--seed', '4', '--steps', '6'));
    assert.deepEqual([edit.params.width, edit.params.height], [512, 344], "the photo's aspect, 512 on the long side");
    const again = (await json<EditJson>('edit', '--repeat', String(edit.id)));
    assert.notEqual(again.outputPath, edit.outputPath);
    assert.equal(sha256(again.outputPath), sha256(edit.outputPath));
    assert.equal(sha256(photo), before);
    const listed = (await json<EditJson[]>('edits', photo));
    assert.deepEqual(listed.map((e) => e.id), [again.id, edit.id]);
  });

  it('writes the canny edge map it would use with --edges, without generating', async () => {
    const file = path.join(tempDir('iris-cli-edges-'), 'edges.png');
    const result = (await json<{ edges: string; low: number; high: number }>('edit', photo, '--mode', 'canny', '--prompt', 'x', '--edges', file, '--low', '50', '--high', '150'));
    assert.equal(result.edges, file);
    assert.deepEqual([result.low, result.high], [50, 150]);
    assert.equal((await sharp(file).metadata()).channels, 1);
  });

  it('refuses bad requests with exit 2 and a message that says what to change', async () => {
    const cases: [string[], RegExp][] = [
      [['edit', photo, '--mode', 'txt2img', '--prompt', 'x'], /canny, img2img, instruct/],
      [['edit', photo, '--mode', 'img2img'], /--prompt/],
      [['generate', '--prompt', 'x', '--steps', '500'], /steps: at most 150/],
      [['generate', '--prompt', 'x', '--width', '100'], /multiple of 8/],
      [['generate', '--prompt', 'x', '--scheduler', 'plms'], /scheduler/],
      [['edit', '--repeat', '999'], /no edit 999/],
    ];
    for (const [args, message] of cases) {
      const result = (await iris(...args));
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
    }
  });
});
