import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IrisCallError } from '../../main/contract/rpc.js';
import { type ReadMedia, mediaResponse } from '../../main/app/media-protocol.js';
import { parseMediaUrl } from '../../main/app/media-url.js';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);

describe('iris:// URLs', () => {
  it('name a photo by kind and id', () => {
    assert.deepEqual(parseMediaUrl('iris://thumb/1'), { kind: 'thumb', id: 1 });
    assert.deepEqual(parseMediaUrl('iris://preview/42'), { kind: 'preview', id: 42 });
    assert.deepEqual(parseMediaUrl('iris://photo/123456789'), { kind: 'photo', id: 123456789 });
    assert.deepEqual(parseMediaUrl('iris://thumb/7?r=3'), { kind: 'thumb', id: 7 }, 'a retry counter is allowed and dropped');
  });

  it('name a map tile by zoom, column and row inside its grid, and nothing else', () => {
    assert.deepEqual(parseMediaUrl('iris://tile/0/0/0'), { kind: 'tile', z: 0, x: 0, y: 0 });
    assert.deepEqual(parseMediaUrl('iris://tile/19/524287/1'), { kind: 'tile', z: 19, x: 524287, y: 1 });
    for (const url of ['iris://tile/1/2/0', 'iris://tile/20/0/0', 'iris://tile/1/0', 'iris://tile/1/0/0/0', 'iris://tile/01/0/0', 'iris://tile/1/-1/0', 'iris://tile/1/0/0?r=1', 'iris://tile/1/../0', 'iris://tile/a/b/c']) {
      assert.equal(parseMediaUrl(url), null, url);
    }
  });

  it('refuse paths, dots, extra segments, other kinds and ids that are not positive integers', () => {
    for (const url of [
      'iris://photo//etc/passwd',
      'iris://photo/../../etc/passwd',
      'iris://photo/%2e%2e/1',
      'iris://photo/a/../1',
      'iris://photo/1/2',
      'iris://photo/1/',
      'iris://photo/',
      'iris://photo',
      'iris://photo/0',
      'iris://photo/-1',
      'iris://photo/01',
      'iris://photo/1.5',
      'iris://photo/1e3',
      'iris://photo/0x10',
      'iris://photo/9999999999999999',
      'iris://photo/1?x=1',
      'iris://photo/1?r=1&x=2',
      'iris://photo/1?r=../etc',
      'iris://photo/1#a',
      'iris://user@photo/1',
      'iris://photo:80/1',
      'iris://file/1',
      'iris://original/1',
      'iris:///1',
      'app://photo/1',
      'https://photo/1',
      'not a url',
    ]) {
      assert.equal(parseMediaUrl(url), null, url);
    }
  });
});

describe('iris:// responses', () => {
  const requests: unknown[] = [];
  const read: ReadMedia = async (request) => {
    requests.push(request);
    return { mime: 'image/jpeg', bytes: JPEG };
  };

  it('serve the engine\'s bytes with their type', async () => {
    const response = await mediaResponse('GET', 'iris://thumb/5', read);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/jpeg');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), JPEG);
    assert.deepEqual(requests.at(-1), { kind: 'thumb', id: 5 });
  });

  it('let thumbnails be cached briefly and never store originals', async () => {
    assert.match((await mediaResponse('GET', 'iris://thumb/5', read)).headers.get('cache-control')!, /max-age=\d+/);
    assert.equal((await mediaResponse('GET', 'iris://photo/5', read)).headers.get('cache-control'), 'no-store');
  });

  it('answer 400 to anything but the exact shape, without asking the engine', async () => {
    const before = requests.length;
    for (const url of ['iris://photo/../1', 'iris://photo/abc', 'iris://photo/1/x']) assert.equal((await mediaResponse('GET', url, read)).status, 400, url);
    assert.equal(requests.length, before);
  });

  it('answer 404 when the engine has no such photo, without echoing its message', async () => {
    const missing: ReadMedia = async () => {
      throw new IrisCallError('not-found', 'cannot read /home/me/secret/photo.jpg');
    };
    const response = await mediaResponse('GET', 'iris://photo/9', missing);
    assert.equal(response.status, 404);
    assert.ok(!(await response.text()).includes('/home'));
  });

  it('answer 503 while the engine restarts and 500 on a bug', async () => {
    const restarting: ReadMedia = async () => {
      throw new IrisCallError('unavailable', 'restarting');
    };
    assert.equal((await mediaResponse('GET', 'iris://thumb/9', restarting)).status, 503);
    const broken: ReadMedia = async () => {
      throw new Error('bug');
    };
    assert.equal((await mediaResponse('GET', 'iris://thumb/9', broken)).status, 500);
  });

  it('refuse methods other than GET and answers that are not images', async () => {
    assert.equal((await mediaResponse('POST', 'iris://thumb/5', read)).status, 405);
    const html: ReadMedia = async () => ({ mime: 'text/html', bytes: new Uint8Array([60]) });
    assert.equal((await mediaResponse('GET', 'iris://photo/5', html)).status, 502);
  });
});
