import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Engine, LibraryWatcher, type PhotoEvent, type Problem } from '../../main/engine/index.js';
import { makePhoto, tempDir, waitFor } from '../helpers/fixtures.js';

describe('LibraryWatcher', () => {
  it('records a watcher error, rescans the folder, and keeps watching', async () => {
    const folder = tempDir('iris-watched-');
    await makePhoto(path.join(folder, 'a.jpg'), { seed: 1 });
    const engine = Engine.open({ libraryDir: tempDir('iris-lib-') });
    const problems: Problem[] = [];
    const events: PhotoEvent[] = [];
    engine.on('problem', (p) => problems.push(p));
    engine.on('photo', (e) => events.push(e));
    const [registered] = engine.library.addFolders([folder]);
    const watcher = new LibraryWatcher(engine, [registered!], { writeSettleMs: 200 });
    try {
      await watcher.start();
      const scannedAt = engine.library.listFolders()[0]!.scannedAt!;
      assert.equal(engine.listPhotos().length, 1);

      // What chokidar reports when, say, the system runs out of inotify watches.
      (watcher as unknown as { watcher: EventEmitter }).watcher.emit('error', new Error('ENOSPC: System limit for number of file watchers reached'));
      assert.deepEqual(problems, [{ scope: 'watcher', path: null, message: 'ENOSPC: System limit for number of file watchers reached' }]);
      const doctorRow = engine.database.prepare(`SELECT scope, message FROM problems`).get();
      assert.deepEqual(doctorRow, { scope: 'watcher', message: 'ENOSPC: System limit for number of file watchers reached' });
      await waitFor(() => (engine.library.listFolders()[0]!.scannedAt! > scannedAt ? true : undefined), 5000, 'the rescan after the error');

      await makePhoto(path.join(folder, 'b.jpg'), { seed: 2 });
      await waitFor(() => events.find((e) => e.event === 'added' && e.path.endsWith('b.jpg')), 5000, 'b.jpg still noticed after the error');
    } finally {
      await watcher.close();
      await engine.close();
    }
  });

  it("reads a photo's XMP sidecar again when another app changes it while Iris watches", async () => {
    const folder = tempDir('iris-watched-xmp-');
    await makePhoto(path.join(folder, 'a.jpg'), { seed: 1 });
    const sidecar = path.join(folder, 'a.jpg.xmp');
    const packet = (rating: number, keyword: string) =>
      `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmp:Rating="${rating}"><dc:subject><rdf:Bag><rdf:li>${keyword}</rdf:li></rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>`;
    fs.writeFileSync(sidecar, packet(2, 'first'));
    const engine = Engine.open({ libraryDir: tempDir('iris-lib-') });
    const [registered] = engine.library.addFolders([folder]);
    const watcher = new LibraryWatcher(engine, [registered!], { writeSettleMs: 100 });
    try {
      await watcher.start();
      const id = engine.listPhotos()[0]!.id;
      await waitFor(() => (engine.organise.marks.marksOf(id).rating === 2 ? true : undefined), 5000, 'the sidecar read with the photo');
      // digiKam (say) gives it five stars and a new keyword.
      fs.writeFileSync(sidecar, packet(5, 'second'));
      await waitFor(() => (engine.organise.marks.marksOf(id).rating === 5 ? true : undefined), 5000, 'the changed sidecar read again');
      assert.deepEqual(engine.organise.marks.keywordsOf(id).map((k) => k.keyword), ['first', 'second']);
      assert.equal(engine.listPhotos().length, 1, 'a sidecar is not a photo');
    } finally {
      await watcher.close();
      await engine.close();
    }
  });

  it('applies the scan’s rules: a symlinked photo or folder is never read, whatever it points at', async () => {
    const folder = tempDir('iris-watched-links-');
    const outside = tempDir('iris-outside-');
    await makePhoto(path.join(folder, 'real.jpg'), { seed: 1 });
    await makePhoto(path.join(outside, 'elsewhere.jpg'), { seed: 2 });
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'root:x:0:0');
    const engine = Engine.open({ libraryDir: tempDir('iris-lib-') });
    const events: PhotoEvent[] = [];
    const problems: Problem[] = [];
    engine.on('photo', (e) => events.push(e));
    engine.on('problem', (p) => problems.push(p));
    const [registered] = engine.library.addFolders([folder]);
    const watcher = new LibraryWatcher(engine, [registered!], { writeSettleMs: 100 });
    try {
      await watcher.start();
      // Links made while watching: to a file outside (named like a photo), to a photo outside, to a folder outside.
      fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(folder, 'z.jpg'));
      fs.symlinkSync(path.join(outside, 'elsewhere.jpg'), path.join(folder, 'linked.jpg'));
      fs.symlinkSync(outside, path.join(folder, 'linked-folder'));
      await makePhoto(path.join(folder, 'after.jpg'), { seed: 3 });
      await waitFor(() => events.find((e) => e.event === 'added' && e.path.endsWith('after.jpg')), 5000, 'a real photo added meanwhile');
      await new Promise((resolve) => setTimeout(resolve, 500));
      // And the file events the watcher would pass on, sent straight to the engine.
      for (const name of ['z.jpg', 'linked.jpg', path.join('linked-folder', 'elsewhere.jpg')]) await engine.library.fileAppeared(path.join(folder, name));
      const paths = engine.listPhotos().map((photo) => path.basename(photo.path)).sort();
      assert.deepEqual(paths, ['after.jpg', 'real.jpg']);
      assert.deepEqual(events.filter((e) => e.event === 'failed'), []);
      // The scan agrees: nothing to remove, nothing to add.
      const summary = await engine.index([folder]);
      assert.deepEqual([summary.found, summary.removed], [2, 0]);
      assert.deepEqual(problems, []);
    } finally {
      await watcher.close();
      await engine.close();
    }
  });
});
