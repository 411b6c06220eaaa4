import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { estimateSimilarity, ARCFACE_TEMPLATE } from '../../main/engine/faces/align.js';
import { nonMaximumSuppression } from '../../main/engine/faces/detect.js';
import { FaceModel } from '../../main/engine/faces/face-model.js';
import { clusterFaces } from '../../main/engine/faces/people-clustering.js';
import { loadCatalog } from '../../main/engine/models/catalog.js';
import { EngineService } from '../../main/engine/service/engine-service.js';
import { FACES_FIXTURE_ID, FACES_YUNET_FIXTURE_ID } from '../fixtures/face-fixtures.js';
import { FACE_PHOTOS_DIR, cosine } from '../reference/measure-faces.js';
import { fixtureModels } from '../helpers/colour-photos.js';
import { tempDir } from '../helpers/fixtures.js';

/**
 * The face pipeline's corner paths on the real models (../shared/face-models, copied by `npm run
 * fixtures`): a photo with no face, fifty faces, faces too small to find, a photo stored sideways
 * with an EXIF orientation; both detector architectures; and the arithmetic (alignment, NMS,
 * incremental clustering) on cases whose answers are known.
 */

const missing = fs.existsSync(path.join(fixtureModels, FACES_FIXTURE_ID, 'detection', 'model.onnx')) && fs.existsSync(FACE_PHOTOS_DIR) ? null : 'the face models or photos from ../shared are not there (npm run fixtures)';
if (missing) console.log(`# face model tests skipped: ${missing}`);

describe('faces on the real models: corner cases', { skip: missing ?? false }, () => {
  let model: FaceModel;
  let yunet: FaceModel;
  const dir = tempDir('iris-faces-');
  const entry = (id: string) => loadCatalog(fixtureModels).models.find((m) => m.id === id)!;
  const facesIn = async (file: string, which = model) => which.analyse(await FaceModel.decode(file));

  before(() => {
    model = new FaceModel(fixtureModels, entry(FACES_FIXTURE_ID));
    yunet = new FaceModel(fixtureModels, entry(FACES_YUNET_FIXTURE_ID));
  });
  after(async () => {
    await model.release();
    await yunet.release();
  });

  it('finds no face in a photo without one', async () => {
    const file = path.join(dir, 'wall.jpg');
    await sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 180, g: 160, b: 120 } } }).jpeg().toFile(file);
    assert.deepEqual(await facesIn(file), []);
  });

  it('finds all fifty faces of a crowd, each its own box', async () => {
    const face = await sharp(path.join(FACE_PHOTOS_DIR, 'obama-1.jpg')).resize(160, 200, { fit: 'cover', position: 'attention' }).toBuffer();
    const tiles = [];
    for (let row = 0; row < 5; row++) for (let col = 0; col < 10; col++) tiles.push({ input: face, left: col * 200 + 20, top: row * 220 + 10 });
    const file = path.join(dir, 'crowd.jpg');
    await sharp({ create: { width: 2000, height: 1100, channels: 3, background: { r: 255, g: 255, b: 255 } } }).composite(tiles).jpeg().toFile(file);
    const faces = await facesIn(file);
    assert.equal(faces.length, 50);
    const columns = new Set(faces.map((f) => Math.floor((f.box.x + f.box.w / 2) * 10)));
    assert.equal(columns.size, 10, 'one face per tile column');
  });

  it('does not find faces smaller than the detector can see at its input size, and says so by finding none', async () => {
    // A face 24 pixels wide in a 4000-pixel photo is 4 pixels at the detector's 640: below SCRFD's smallest anchor (16).
    const face = await sharp(path.join(FACE_PHOTOS_DIR, 'obama-1.jpg')).resize(24).toBuffer();
    const file = path.join(dir, 'tiny.jpg');
    await sharp({ create: { width: 4000, height: 3000, channels: 3, background: { r: 90, g: 120, b: 90 } } }).composite([{ input: face, left: 2000, top: 1500 }]).jpeg().toFile(file);
    assert.deepEqual(await facesIn(file), []);
  });

  it('reads a photo stored sideways upright (EXIF orientation), so its face is found and is the same face', async () => {
    const upright = path.join(FACE_PHOTOS_DIR, 'obama-1.jpg');
    const sideways = path.join(dir, 'sideways.jpg');
    // Pixels turned a quarter left, orientation 6 ("turn a quarter right to show").
    await sharp(upright).rotate(270).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toFile(sideways);
    const [straight] = await facesIn(upright);
    const [turned] = await facesIn(sideways);
    assert.ok(straight && turned);
    assert.ok(Math.abs(straight.box.x - turned.box.x) < 0.02 && Math.abs(straight.box.y - turned.box.y) < 0.02, 'the same place in the upright photo');
    assert.ok(cosine(straight.embedding, turned.embedding) > 0.9, `same face: ${cosine(straight.embedding, turned.embedding)}`);
  });

  it('YuNet (MIT) finds the same faces as SCRFD, and the recognizer agrees on who they are', async () => {
    for (const file of ['obama-1.jpg', 'group-two_people.jpg', 'rose_leslie-2.jpg']) {
      const scrfd = await facesIn(path.join(FACE_PHOTOS_DIR, file));
      const other = await facesIn(path.join(FACE_PHOTOS_DIR, file), yunet);
      assert.equal(other.length, scrfd.length, file);
      for (const face of scrfd) {
        const twin = other.reduce((best, candidate) => (cosine(candidate.embedding, face.embedding) > cosine(best.embedding, face.embedding) ? candidate : best));
        assert.ok(cosine(twin.embedding, face.embedding) > 0.7, `${file}: ${cosine(twin.embedding, face.embedding)}`);
        assert.ok(Math.abs(twin.box.x + twin.box.w / 2 - (face.box.x + face.box.w / 2)) < 0.05, `${file}: same centre`);
      }
    }
  });
});

describe('a face drawn by hand where the detector missed it (faces.draw)', { skip: missing ?? false }, () => {
  it('is looked for again inside the box, so a face too small for the whole photo is embedded, placed with the person, and recognised after', async () => {
    const photos = tempDir('iris-draw-');
    // The same face twice, each about 1/60 of a 4000-pixel photo: too small for the detector at 640 over the whole photo.
    const face = await sharp(path.join(FACE_PHOTOS_DIR, 'obama-1.jpg')).extract({ left: 180, top: 0, width: 380, height: 420 }).resize(66).toBuffer();
    // Two photos (two backgrounds: the same bytes would be one photo).
    for (const [name, green] of [['a.jpg', 120], ['b.jpg', 140]] as const) {
      await sharp({ create: { width: 4000, height: 3000, channels: 3, background: { r: 90, g: green, b: 90 } } }).composite([{ input: face, left: 1800, top: 1400 }]).jpeg({ quality: 92 }).toFile(path.join(photos, name));
    }
    const service = EngineService.open({ libraryDir: tempDir('iris-draw-lib-'), modelsDir: fixtureModels }, { watch: false });
    try {
      await service.engine.index([photos]);
      const [a, b] = service.engine.listPhotos().sort((x, y) => x.paths[0]!.localeCompare(y.paths[0]!));
      const call = async <T>(name: string, args: unknown): Promise<T> => {
        const outcome = await service.handle(name as never, args as never);
        assert.ok(outcome.ok, JSON.stringify(outcome));
        return (outcome as { value: T }).value;
      };
      assert.deepEqual(await call('faces.ofPhoto', { photoId: a!.id }), [], 'the detector missed it');
      const box = { x: 1790 / 4000, y: 1390 / 3000, w: 86 / 4000, h: 96 / 3000 };
      const drawn = await call<{ id: number; recognised: boolean }>('faces.draw', { photoId: a!.id, box, personId: null });
      assert.equal(drawn.recognised, true, 'found and embedded inside the box');
      const { personId } = await call<{ personId: number }>('faces.assign', { faceId: drawn.id, newPerson: true });
      await call('people.update', { id: personId, name: 'Barack Obama' });
      const second = await call<{ id: number; recognised: boolean }>('faces.draw', { photoId: b!.id, box, personId: null });
      assert.ok(second.recognised);
      // The drawn faces are embedded like found ones: the two are the same face.
      const db = service.engine.database;
      const embeddings = (db.prepare(`SELECT embedding FROM faces WHERE id IN (?, ?) ORDER BY id`).all(drawn.id, second.id) as { embedding: Buffer }[]).map((row) => new Float32Array(new Uint8Array(row.embedding).buffer));
      assert.ok(cosine(embeddings[0]!, embeddings[1]!) > 0.9);
      const faces = await call<{ personName: string | null; manual: boolean }[]>('faces.ofPhoto', { photoId: a!.id });
      assert.deepEqual(faces.map((f) => [f.personName, f.manual]), [['Barack Obama', true]]);
      // A box over nothing is kept, not recognised; "not a face" takes a face out.
      const empty = await call<{ id: number; recognised: boolean }>('faces.draw', { photoId: a!.id, box: { x: 0.05, y: 0.05, w: 0.05, h: 0.05 }, personId });
      assert.equal(empty.recognised, false);
      await call('faces.assign', { faceId: empty.id, notFace: true });
      assert.equal((await call<unknown[]>('faces.ofPhoto', { photoId: a!.id })).length, 1);
      const refused = await service.handle('faces.draw', { photoId: a!.id, box: { x: 0.9, y: 0.9, w: 0.5, h: 0.5 }, personId: null });
      assert.equal(refused.ok, false, 'a box outside the photo is refused by the schema');
    } finally {
      await service.close();
    }
  });
});

describe('face arithmetic', () => {
  it('recovers a known similarity from the template (rotation, scale, shift)', () => {
    const [a, b, tx, ty] = [0.8 * Math.cos(0.3), 0.8 * Math.sin(0.3), 12, -7];
    const moved = ARCFACE_TEMPLATE.map(([x, y]) => [a * x - b * y + tx, b * x + a * y + ty] as [number, number]);
    const found = estimateSimilarity(ARCFACE_TEMPLATE, moved);
    for (const [key, value] of Object.entries({ a, b, tx, ty })) assert.ok(Math.abs(found[key as keyof typeof found] - value) < 1e-9, key);
  });

  it('keeps the best of overlapping detections and every face that does not overlap', () => {
    const box = (x: number, score: number) => ({ x1: x, y1: 0, x2: x + 10, y2: 10, score, keypoints: [] });
    const kept = nonMaximumSuppression([box(0, 0.6), box(1, 0.9), box(20, 0.5)], 0.4);
    assert.deepEqual(kept.map((face) => face.score), [0.9, 0.5]);
  });

  /** A unit vector near `centre`: cosine to it about 1 − noise²/2. */
  const near = (centre: Float32Array, noise: number, seed: number) => {
    let state = seed;
    const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
    const v = Float32Array.from(centre, (c) => c + noise * random() * 2);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
  const axis = (i: number, dim = 16) => Float32Array.from({ length: dim }, (_, k) => (k === i ? 1 : 0));

  it('joins a new face to the person it is like, waits with a lone stranger, and makes a person of two alike strangers', () => {
    const anna = axis(0);
    const result = clusterFaces({
      people: new Map([[7, [near(anna, 0.1, 1), near(anna, 0.1, 2)]]]),
      pending: [
        { id: 1, embedding: near(anna, 0.1, 3) },
        { id: 2, embedding: near(axis(1), 0.1, 4) },
        { id: 3, embedding: near(axis(2), 0.1, 5) },
        { id: 4, embedding: near(axis(2), 0.1, 6) },
      ],
      threshold: 0.5,
      minFaces: 2,
    });
    assert.deepEqual(result.joins, [{ faceId: 1, personId: 7 }]);
    assert.deepEqual(result.groups, [[3, 4]]);
  });

  it('makes a new person only from faces alike at the stricter new-person threshold, while a face still joins a person at the match threshold', () => {
    // Unit vectors at a chosen cosine from axis 0.
    const at = (cosine: number, other: number) => Float32Array.from({ length: 16 }, (_, k) => (k === 0 ? cosine : k === other ? Math.sqrt(1 - cosine * cosine) : 0));
    const input = (people: Map<number, Float32Array[]>, pending: Float32Array[]) => ({ people, pending: pending.map((embedding, i) => ({ id: i + 1, embedding })), threshold: 0.38, newPersonThreshold: 0.5, minFaces: 2 });
    // Two strangers at cosine 0.45 of each other: alike at the match threshold, not at the new-person one.
    assert.deepEqual(clusterFaces(input(new Map(), [axis(0), at(0.45, 1)])).groups, []);
    assert.deepEqual(clusterFaces(input(new Map(), [axis(0), at(0.6, 1)])).groups, [[1, 2]]);
    // A face at 0.45 from a person's mean face joins them.
    assert.deepEqual(clusterFaces(input(new Map([[3, [axis(0)]]]), [at(0.45, 1)])).joins, [{ faceId: 1, personId: 3 }]);
  });

  it('does not chain two people together through a face between them', () => {
    // a and b are 90° apart; m is 45° from both (cosine 0.71): with a threshold of 0.8, m belongs to neither.
    const a = axis(0);
    const b = axis(1);
    const m = Float32Array.from(a, (x, i) => (x + b[i]!) / Math.SQRT2);
    const result = clusterFaces({ people: new Map(), pending: [a, b, m, a, b].map((embedding, i) => ({ id: i + 1, embedding })), threshold: 0.8, minFaces: 2 });
    assert.deepEqual(result.groups, [[1, 4], [2, 5]]);
    assert.deepEqual(result.joins, []);
  });
});
