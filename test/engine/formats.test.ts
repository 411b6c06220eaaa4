import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isIgnoredName, isPhotoFile, sniffRasterFormat } from '../../main/engine/formats.js';

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

  it('tells raster photo formats by their bytes, and nothing else', () => {
    const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));
    const ftyp = (major: string, ...compatible: string[]) => {
      const box = bytes([0, 0, 0, 16 + 4 * compatible.length], 'ftyp', major, [0, 0, 0, 0], ...compatible);
      return Buffer.concat([box, Buffer.alloc(8)]);
    };
    assert.equal(sniffRasterFormat(bytes([0xff, 0xd8, 0xff, 0xe0])), 'jpeg');
    assert.equal(sniffRasterFormat(bytes([0x89], 'PNG\r\n\x1a\n')), 'png');
    assert.equal(sniffRasterFormat(bytes('GIF89a')), 'gif');
    assert.equal(sniffRasterFormat(bytes('RIFF', [1, 2, 3, 4], 'WEBPVP8 ')), 'webp');
    assert.equal(sniffRasterFormat(bytes('II*', [0])), 'tiff');
    assert.equal(sniffRasterFormat(bytes('MM', [0], '*')), 'tiff');
    assert.equal(sniffRasterFormat(ftyp('heic', 'mif1')), 'heif');
    assert.equal(sniffRasterFormat(ftyp('avif')), 'heif');
    assert.equal(sniffRasterFormat(ftyp('isom', 'mp42')), null, 'an MP4 video');
    assert.equal(sniffRasterFormat(bytes('RIFF', [1, 2, 3, 4], 'AVI ')), null, 'an AVI video');
    for (const text of ['<?xml version="1.0"?><svg/>', '<svg xmlns="http://www.w3.org/2000/svg"/>', '%PDF-1.4', 'hello', '']) assert.equal(sniffRasterFormat(bytes(text)), null, text);
  });
});
