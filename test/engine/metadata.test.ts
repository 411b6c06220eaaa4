import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import sharp from 'sharp';
import { PhotoReadError } from '../../main/engine/decode-errors.js';
import { PIXEL_LIMIT, readMetadata } from '../../main/engine/library/metadata.js';
import { makeThumbnails, thumbnailPath } from '../../main/engine/library/thumbnails.js';
import { tempDir } from '../helpers/fixtures.js';

const red = { width: 40, height: 30, channels: 3 as const, background: '#f00' };

describe('metadata', () => {
  it('reads capture date, camera, lens and GPS from EXIF', async () => {
    const bytes = await sharp({ create: red })
      .withExif({
        IFD0: { Make: 'Fujifilm', Model: 'X100V' },
        IFD2: { DateTimeOriginal: '2021:06:15 18:30:05', LensModel: '23mm F2' },
        IFD3: { GPSLatitudeRef: 'S', GPSLatitude: '33/1 51/1 3540/100', GPSLongitudeRef: 'E', GPSLongitude: '151/1 12/1 3000/100', GPSAltitude: '58/1' },
      })
      .jpeg()
      .toBuffer();
    const m = await readMetadata(bytes);
    assert.equal(m.format, 'jpeg');
    assert.equal(m.takenAt, '2021-06-15T18:30:05', 'wall clock as recorded, whatever the machine time zone');
    assert.deepEqual([m.cameraMake, m.cameraModel, m.lens], ['Fujifilm', 'X100V', '23mm F2']);
    assert.ok(m.gps);
    assert.ok(Math.abs(m.gps.lat - -33.859833) < 1e-5 && Math.abs(m.gps.lon - 151.208333) < 1e-5);
    assert.equal(m.gps.alt, 58);
  });

  it('keeps no memory per photo read (100k-photo libraries)', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const bytes = await sharp({ create: red }).withExif({ IFD0: { Make: 'Canon' }, IFD2: { DateTimeOriginal: '2020:01:01 00:00:00' } }).jpeg().toBuffer();
    for (let i = 0; i < 200; i++) await readMetadata(bytes); // warm up
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 3000; i++) await readMetadata(bytes);
    gc();
    const grownPerRead = (process.memoryUsage().heapUsed - before) / 3000;
    // exifr, used before, kept ~8 KB per read; allow noise well below that.
    assert.ok(grownPerRead < 500, `heap grew ${grownPerRead.toFixed(0)} bytes per read`);
  });

  it('reports the upright size and the orientation as a number', async () => {
    const bytes = await sharp({ create: red }).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const m = await readMetadata(bytes);
    assert.deepEqual([m.width, m.height, m.orientation], [30, 40, 6]);
    assert.equal(m.takenAt, null);
    assert.equal(m.gps, null);
  });

  it('refuses a decompression bomb from its header, saying how big it is', async () => {
    // A valid PNG header claiming 30000×30000 pixels: the bytes are tiny, the decode would not be.
    const bytes = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } }).png().toBuffer();
    bytes.writeUInt32BE(30000, 16);
    bytes.writeUInt32BE(30000, 20);
    await assert.rejects(readMetadata(bytes), (error: unknown) => {
      assert.ok(error instanceof PhotoReadError);
      assert.equal(error.code, 'too-large');
      assert.match(error.message, /30000×30000 is 900 MP, over the 268 MP limit/);
      return true;
    });
    assert.ok(30000 * 30000 > PIXEL_LIMIT);
  });

  it('names what is wrong with a file that is not an image', async () => {
    await assert.rejects(readMetadata(Buffer.from('definitely not a photo')), (error: unknown) => error instanceof PhotoReadError && /not a photo: its bytes are not a JPEG/.test(error.message));
  });

  it('reads only raster photos, checked by their bytes: an SVG or a PDF named .jpg is refused, and libvips will not render SVG at all', async () => {
    const svg = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>');
    await assert.rejects(readMetadata(svg), (error: unknown) => error instanceof PhotoReadError && error.code === 'unsupported' && /an SVG or other XML document/.test(error.message));
    await assert.rejects(readMetadata(Buffer.from('%PDF-1.7\n1 0 obj')), /its bytes are a PDF/);
    // Whoever calls sharp in this process: the loader is blocked (image-policy.ts, imported by metadata.ts).
    await assert.rejects(sharp(svg).raw().toBuffer(), /unsupported image format|blocked/);
    await assert.rejects(makeThumbnails(svg, 'f'.repeat(64), tempDir()));
    // Every raster format Iris lists still decodes.
    for (const format of ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const) {
      const bytes = await sharp({ create: red }).toFormat(format).toBuffer();
      const m = await readMetadata(bytes);
      assert.equal(m.width, 40, format);
      await makeThumbnails(bytes, 'e'.repeat(64), tempDir());
    }
  });

  it('makes upright webp thumbnails at both sizes, never enlarging', async () => {
    const dir = tempDir();
    const wide = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: '#0a0' } }).withMetadata({ orientation: 8 }).jpeg().toBuffer();
    await makeThumbnails(wide, 'ab'.repeat(32), dir);
    const small = await sharp(thumbnailPath(dir, 'ab'.repeat(32), 256)).metadata();
    const large = await sharp(thumbnailPath(dir, 'ab'.repeat(32), 1024)).metadata();
    assert.deepEqual([small.format, small.width, small.height], ['webp', 128, 256]);
    assert.deepEqual([large.width, large.height], [512, 1024]);
    const tiny = await sharp({ create: { width: 20, height: 10, channels: 4, background: '#00f8' } }).png().toBuffer();
    await makeThumbnails(tiny, 'cd'.repeat(32), dir);
    assert.deepEqual(((m) => [m.width, m.height])(await sharp(thumbnailPath(dir, 'cd'.repeat(32), 1024)).metadata()), [20, 10]);
    assert.ok(!fs.readdirSync(path.join(dir, 'ab')).some((f) => f.endsWith('.tmp')), 'no temporary files left behind');
  });
});
