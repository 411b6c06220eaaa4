import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
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
    const [registered] = engine.addFolders([folder]);
    const watcher = new LibraryWatcher(engine, [registered!], { writeSettleMs: 200 });
    try {
      await watcher.start();
      const scannedAt = engine.listFolders()[0]!.scannedAt!;
      assert.equal(engine.listPhotos().length, 1);

      // What chokidar reports when, say, the system runs out of inotify watches.
      (watcher as unknown as { watcher: EventEmitter }).watcher.emit('error', new Error('ENOSPC: System limit for number of file watchers reached'));
      assert.deepEqual(problems, [{ scope: 'watcher', path: null, message: 'ENOSPC: System limit for number of file watchers reached' }]);
      const doctorRow = engine.database.prepare(`SELECT scope, message FROM problems`).get();
      assert.deepEqual(doctorRow, { scope: 'watcher', message: 'ENOSPC: System limit for number of file watchers reached' });
      await waitFor(() => (engine.listFolders()[0]!.scannedAt! > scannedAt ? true : undefined), 5000, 'the rescan after the error');

      await makePhoto(path.join(folder, 'b.jpg'), { seed: 2 });
      await waitFor(() => events.find((e) => e.event === 'added' && e.path.endsWith('b.jpg')), 5000, 'b.jpg still noticed after the error');
    } finally {
      await watcher.close();
      await engine.close();
    }
  });
});
