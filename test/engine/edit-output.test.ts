import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { claimOutput, finishInterruptedOutputs, publishOutput, temporaryFor } from '../../main/engine/edits/edit-output.js';
import { UsageError } from '../../main/engine/errors.js';
import { isPhotoFile } from '../../main/engine/formats.js';
import { tempDir } from '../helpers/fixtures.js';

describe('edit output files', () => {
  const png = Buffer.from('\x89PNG\r\n\x1a\n the rest', 'latin1');

  it('writes a hidden temporary first, which no scan reads, then gives it a free final name', () => {
    const folder = tempDir('iris-edit-output-');
    fs.writeFileSync(path.join(folder, 'generated-txt2img-1.png'), 'someone else’s');
    const claimed = claimOutput(png, folder, (n) => `generated-txt2img-1${n > 1 ? `-${n}` : ''}.png`);
    assert.equal(claimed.final, path.join(folder, 'generated-txt2img-1-2.png'), 'never over an existing file');
    assert.equal(claimed.temporary, temporaryFor(claimed.final));
    assert.ok(!fs.existsSync(claimed.final));
    assert.equal(isPhotoFile(claimed.temporary), false, 'the scan and the watcher ignore the temporary');
    // A second writer choosing the same name moves on: the temporary is claimed.
    const other = claimOutput(png, folder, (n) => `generated-txt2img-1${n > 1 ? `-${n}` : ''}.png`);
    assert.equal(other.final, path.join(folder, 'generated-txt2img-1-3.png'));
    publishOutput(claimed);
    assert.deepEqual(fs.readFileSync(claimed.final), png);
    assert.ok(!fs.existsSync(claimed.temporary));
    assert.throws(() => claimOutput(png, folder, () => 'generated-txt2img-1.png', true), UsageError);
  });

  it('never publishes over a file that appeared meanwhile, and keeps the edit as its temporary', () => {
    const folder = tempDir('iris-edit-output-');
    const claimed = claimOutput(png, folder, () => 'a.png');
    fs.writeFileSync(claimed.final, 'appeared');
    assert.throws(() => publishOutput(claimed), /appeared while the edit was written/);
    assert.equal(fs.readFileSync(claimed.final, 'utf8'), 'appeared');
    assert.ok(fs.existsSync(claimed.temporary));
  });

  it('publishes what a kill left between the record and the rename, and nothing else', () => {
    const folder = tempDir('iris-edit-output-');
    const interrupted = claimOutput(png, folder, () => 'interrupted.png');
    const done = claimOutput(png, folder, () => 'done.png');
    publishOutput(done);
    const missing = path.join(folder, 'gone.png');
    assert.equal(finishInterruptedOutputs([interrupted.final, done.final, missing]), 1);
    assert.deepEqual(fs.readFileSync(interrupted.final), png);
    assert.ok(!fs.existsSync(interrupted.temporary));
    assert.equal(finishInterruptedOutputs([interrupted.final]), 0);
  });
});
