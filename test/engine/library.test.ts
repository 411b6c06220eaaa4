import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Engine } from '../../main/engine/index.js';
import { thumbnailPath } from '../../main/engine/library/thumbnails.js';
import { makePhoto, sha256, tempDir } from '../helpers/fixtures.js';

async function libraryWith(files: Record<string, Parameters<typeof makePhoto>[1]>) {
  const photos = tempDir('iris-photos-');
  for (const [name, options] of Object.entries(files)) await makePhoto(path.join(photos, name), options);
  const engine = Engine.open({ libraryDir: tempDir('iris-lib-'), concurrency: 2 });
  return { photos, engine };
}

describe('library identity', () => {
  it('indexes new photos with metadata and thumbnails, then skips them when unchanged', async () => {
    const { photos, engine } = await libraryWith({ 'a.jpg': { seed: 1 }, 'sub/b.png': { seed: 2, format: 'png', width: 80, height: 40 } });
    try {
      const first = await engine.index([photos]);
      assert.deepEqual({ ...first, failed: first.failed.length, embeddings: undefined }, { found: 2, indexed: 2, read: 2, unchanged: 0, removed: 0, failed: 0, embeddings: undefined, heldElsewhere: [] });
      const list = engine.listPhotos();
      assert.equal(list.length, 2);
      const b = list.find((p) => p.path.endsWith('b.png'))!;
      assert.deepEqual([b.status, b.format, b.width, b.height, b.takenAtSource], ['ok', 'png', 80, 40, 'mtime']);
      assert.equal(b.hash, sha256(path.join(photos, 'sub/b.png')));
      for (const size of [256, 1024] as const) assert.ok(fs.existsSync(thumbnailPath(engine.layout.thumbnails, b.hash, size)));
      const again = await engine.index([photos]);
      assert.deepEqual({ ...again, failed: again.failed.length, embeddings: undefined }, { found: 2, indexed: 0, read: 0, unchanged: 2, removed: 0, failed: 0, embeddings: undefined, heldElsewhere: [] });
    } finally {
      await engine.close();
    }
  });

  it('keeps a photo id through a rename and a move to another folder while stopped', async () => {
    const { photos, engine } = await libraryWith({ 'a.jpg': { seed: 1 }, 'b.jpg': { seed: 2 } });
    try {
      await engine.index([photos]);
      const before = engine.listPhotos().find((p) => p.path.endsWith('a.jpg'))!;
      fs.mkdirSync(path.join(photos, 'moved'));
      fs.renameSync(path.join(photos, 'a.jpg'), path.join(photos, 'moved', 'renamed.jpg'));
      const summary = await engine.index([photos]);
      assert.equal(summary.removed, 1);
      const after = engine.listPhotos();
      assert.equal(after.length, 2);
      const moved = after.find((p) => p.path.endsWith('renamed.jpg'))!;
      assert.equal(moved.id, before.id);
      assert.equal(moved.hash, before.hash);
      assert.equal(moved.status, 'ok');
    } finally {
      await engine.close();
    }
  });

  it('treats the same bytes at two paths as one photo with two locations', async () => {
    const { photos, engine } = await libraryWith({ 'a.jpg': { seed: 5 } });
    try {
      fs.copyFileSync(path.join(photos, 'a.jpg'), path.join(photos, 'copy of a.jpg'));
      const summary = await engine.index([photos]);
      assert.equal(summary.found, 2);
      const list = engine.listPhotos();
      assert.equal(list.length, 1);
      assert.deepEqual(list[0]!.paths.map((p) => path.basename(p)), ['a.jpg', 'copy of a.jpg']);
      assert.equal(engine.store.jobs.counts().done, 1, 'decoded once');
      fs.rmSync(path.join(photos, 'a.jpg'));
      await engine.index([photos]);
      const remaining = engine.listPhotos();
      assert.equal(remaining.length, 1);
      assert.equal(remaining[0]!.id, list[0]!.id);
      assert.deepEqual(remaining[0]!.paths.map((p) => path.basename(p)), ['copy of a.jpg']);
    } finally {
      await engine.close();
    }
  });

  it('re-reads a changed file as new bytes and hides the old version', async () => {
    const { photos, engine } = await libraryWith({ 'a.jpg': { seed: 1, width: 64, height: 48 } });
    try {
      await engine.index([photos]);
      const old = engine.listPhotos()[0]!;
      await makePhoto(path.join(photos, 'a.jpg'), { seed: 9, width: 30, height: 90 });
      const summary = await engine.index([photos]);
      assert.equal(summary.indexed, 1);
      const now = engine.listPhotos();
      assert.equal(now.length, 1);
      assert.notEqual(now[0]!.hash, old.hash);
      assert.deepEqual([now[0]!.width, now[0]!.height], [30, 90]);
      assert.equal(engine.store.counts().hidden, 1);
      // Past the grace period the old version is purged, with its thumbnails.
      assert.deepEqual(engine.store.purgeOrphans(0, Date.now() + 1), [old.hash]);
      assert.equal(engine.store.counts().hidden, 0);
    } finally {
      await engine.close();
    }
  });

  it('removing a folder forgets its photos and never touches the files', async () => {
    const { photos, engine } = await libraryWith({ 'a.jpg': { seed: 1 }, 'b.jpg': { seed: 2 } });
    try {
      const hashes = ['a.jpg', 'b.jpg'].map((n) => sha256(path.join(photos, n)));
      await engine.index([photos]);
      const thumb = thumbnailPath(engine.layout.thumbnails, hashes[0]!, 256);
      assert.ok(fs.existsSync(thumb));
      const result = engine.library.removeFolder(photos);
      assert.equal(result.photos, 2);
      assert.equal(engine.listPhotos().length, 0);
      assert.equal(engine.library.listFolders().length, 0);
      assert.deepEqual(['a.jpg', 'b.jpg'].map((n) => sha256(path.join(photos, n))), hashes);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(!fs.existsSync(thumb), 'thumbnail of a photo that left the library is deleted');
      assert.throws(() => engine.library.removeFolder(photos), /not a library folder/);
    } finally {
      await engine.close();
    }
  });

  it('covers a subfolder by its parent and lets a parent take over registered subfolders', async () => {
    const { photos, engine } = await libraryWith({ 'x/a.jpg': { seed: 1 }, 'y/b.jpg': { seed: 2 } });
    try {
      await engine.index([path.join(photos, 'x')]);
      const [parent] = engine.library.addFolders([photos]);
      assert.deepEqual(engine.library.listFolders().map((f) => f.path), [fs.realpathSync(photos)]);
      assert.equal(engine.library.addFolders([path.join(photos, 'y')])[0]!.id, parent!.id);
      const summary = await engine.index();
      assert.deepEqual([summary.found, summary.indexed, summary.unchanged], [2, 1, 1]);
    } finally {
      await engine.close();
    }
  });

  it('refuses folders that do not exist, and files', async () => {
    const { photos, engine } = await libraryWith({ 'a.jpg': {} });
    try {
      assert.throws(() => engine.library.addFolders([path.join(photos, 'nope')]), /folder not found/);
      assert.throws(() => engine.library.addFolders([path.join(photos, 'a.jpg')]), /not a folder/);
      await assert.rejects(engine.index(), /no folders/);
    } finally {
      await engine.close();
    }
  });

  it('never indexes its own library folder when it sits inside a photo folder', async () => {
    const photos = tempDir('iris-photos-');
    await makePhoto(path.join(photos, 'a.jpg'));
    const engine = Engine.open({ libraryDir: path.join(photos, 'iris-library'), concurrency: 1 });
    try {
      await engine.index([photos]);
      // Its thumbnails are now .webp files inside the photo folder: still never photos of their own.
      assert.ok(fs.readdirSync(engine.layout.thumbnails).length > 0);
      const again = await engine.index([photos]);
      assert.deepEqual([again.found, again.unchanged], [1, 1]);
      assert.equal(engine.listPhotos().length, 1);
    } finally {
      await engine.close();
    }
  });
});
