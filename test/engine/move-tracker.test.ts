import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PhotoEvent } from '../../main/engine/events.js';
import { MoveTracker } from '../../main/engine/library/move-tracker.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MoveTracker', () => {
  it('pairs a delete followed by an add of the same photo into one move', () => {
    const events: PhotoEvent[] = [];
    const tracker = new MoveTracker(200, (e) => events.push(e));
    tracker.removed(7, '/a/old.jpg');
    tracker.added(7, '/a/new.jpg', true);
    assert.deepEqual(events, [{ event: 'moved', from: '/a/old.jpg', path: '/a/new.jpg', photoId: 7 }]);
  });

  it('pairs an add of known bytes followed by the delete of the old path', () => {
    const events: PhotoEvent[] = [];
    const tracker = new MoveTracker(200, (e) => events.push(e));
    tracker.added(3, '/b/copy.jpg', true);
    tracker.removed(3, '/a/orig.jpg');
    assert.deepEqual(events, [{ event: 'moved', from: '/a/orig.jpg', path: '/b/copy.jpg', photoId: 3 }]);
  });

  it('reports a lone half after the window, and new bytes at once', async () => {
    const events: PhotoEvent[] = [];
    const tracker = new MoveTracker(50, (e) => events.push(e));
    tracker.added(1, '/new.jpg', false);
    assert.deepEqual(events, [{ event: 'added', path: '/new.jpg', photoId: 1 }]);
    tracker.removed(2, '/gone.jpg');
    tracker.added(4, '/dup.jpg', true);
    assert.equal(events.length, 1);
    await sleep(120);
    assert.deepEqual(events.slice(1).sort((x, y) => (x.photoId ?? 0) - (y.photoId ?? 0)), [
      { event: 'removed', path: '/gone.jpg', photoId: 2 },
      { event: 'added', path: '/dup.jpg', photoId: 4 },
    ]);
  });

  it('does not pair different photos, and flush reports what is held', () => {
    const events: PhotoEvent[] = [];
    const tracker = new MoveTracker(10_000, (e) => events.push(e));
    tracker.removed(1, '/x.jpg');
    tracker.added(2, '/y.jpg', true);
    assert.equal(events.length, 0);
    tracker.flush();
    assert.deepEqual(events.map((e) => e.event).sort(), ['added', 'removed']);
  });
});
