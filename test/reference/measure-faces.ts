import fs from 'node:fs';
import path from 'node:path';
import { FaceModel, type FoundFace } from '../../main/engine/faces/face-model.js';
import { loadCatalog } from '../../main/engine/models/catalog.js';
import { FACES_FIXTURE_ID, FACES_YUNET_FIXTURE_ID } from '../fixtures/face-fixtures.js';
import { FIXTURE_MODELS_DIR } from '../fixtures/generate-models.js';
import { repoRoot } from '../helpers/fixtures.js';

/**
 * The face models on the real photos in ../shared/face-photos: faces found per photo, and the
 * cosine between faces of one person and of different people (the file name before the first "-"
 * is the person). The match threshold in test/fixtures/face-fixtures.ts comes from this table.
 *
 *   npm run fixtures && node dist/test/reference/measure-faces.js [model id]
 */

export interface MeasuredFace extends FoundFace {
  file: string;
  person: string;
}

export const FACE_PHOTOS_DIR = process.env.IRIS_FACE_PHOTOS_DIR || path.resolve(repoRoot, '..', 'shared', 'face-photos');

async function facesOfSharedPhotos(modelId: string): Promise<MeasuredFace[]> {
  const entry = loadCatalog(FIXTURE_MODELS_DIR).models.find((model) => model.id === modelId);
  if (!entry) throw new Error(`no ${modelId} in ${FIXTURE_MODELS_DIR}: run npm run fixtures`);
  const model = new FaceModel(FIXTURE_MODELS_DIR, entry);
  const faces: MeasuredFace[] = [];
  for (const file of fs.readdirSync(FACE_PHOTOS_DIR).filter((name) => /\.(jpe?g|png)$/i.test(name)).sort()) {
    const image = await FaceModel.decode(path.join(FACE_PHOTOS_DIR, file));
    for (const face of await model.analyse(image)) faces.push({ ...face, file, person: file.split('-')[0]! });
  }
  await model.release();
  return faces;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** Same-person and different-people cosines over every pair of faces from portraits (group photos have no names). */
function pairCosines(faces: readonly MeasuredFace[]): { same: number[]; different: number[] } {
  const named = faces.filter((face) => !face.file.startsWith('group-'));
  const same: number[] = [];
  const different: number[] = [];
  for (let i = 0; i < named.length; i++) {
    for (let j = i + 1; j < named.length; j++) (named[i]!.person === named[j]!.person ? same : different).push(cosine(named[i]!.embedding, named[j]!.embedding));
  }
  return { same, different };
}

const runAsScript = process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (runAsScript) {
  for (const id of process.argv[2] ? [process.argv[2]] : [FACES_FIXTURE_ID, FACES_YUNET_FIXTURE_ID]) {
    const faces = await facesOfSharedPhotos(id);
    console.log(`\n${id}`);
    for (const file of [...new Set(faces.map((face) => face.file))]) {
      const found = faces.filter((face) => face.file === file);
      console.log(`  ${file.padEnd(28)} ${found.length} face(s): ${found.map((f) => `score ${f.score.toFixed(2)} box ${(f.box.w * 100).toFixed(0)}%`).join(', ')}`);
    }
    const { same, different } = pairCosines(faces);
    const stats = (values: number[]) => `min ${Math.min(...values).toFixed(3)} mean ${(values.reduce((a, b) => a + b, 0) / values.length).toFixed(3)} max ${Math.max(...values).toFixed(3)} (${values.length} pairs)`;
    console.log(`  same person:       ${stats(same)}`);
    console.log(`  different people:  ${stats(different)}`);
  }
}
