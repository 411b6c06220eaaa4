import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isIgnoredName, isPhotoFile } from '../../main/engine/formats.js';

describe('formats', () => {
  it('accepts the formats sharp reads, whatever the case of the extension', () => {
    for (const name of ['a.jpg', 'b.JPEG', 'c.png', 'd.webp', 'e.avif', 'f.HEIC', 'g.tif', 'h.tiff', 'i.gif']) assert.ok(isPhotoFile(name), name);
  });

  it('ignores other files, hidden files and temporaries', () => {
    for (const name of ['notes.txt', 'movie.mp4', 'raw.cr2', '.hidden.jpg', '~lock.jpg', 'photo.jpg~', 'photo.jpg.part', 'photo.jpg.crdownload', 'x.tmp', '.#photo.jpg']) {
      assert.ok(!isPhotoFile(name), name);
    }
    assert.ok(isIgnoredName('.thumbnails'));
    assert.ok(!isIgnoredName('2024.05 holiday'));
  });
});
