import fs from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import type { Db } from '../db/database.js';
import { currentFile } from '../library/current-file.js';
import type { LibraryStore } from '../library-store.js';
import { type ModelChoice, chooseModel } from '../models/choose-model.js';
import type { Device } from '../runtime/devices.js';
import type { RuntimeReport } from '../runtime/session.js';
import { getSettingValue } from '../settings.js';
import { HandlerUnavailableError, type JobHandler } from '../jobs/runner.js';
import type { JobKind } from '../jobs/queue.js';
import { FaceModel } from './face-model.js';
import { FaceStore } from './face-store.js';
import { clusterFaces } from './people-clustering.js';
import { readFaceRegions } from '../xmp/merge.js';
import { sidecarPathFor } from '../xmp/sidecar.js';

/**
 * Faces and people for a library: which face model it uses (the `face-model` setting, else the
 * catalog's default; none while the `faces` setting is off), the face job (find, align, embed and
 * keep every face of a photo), and placing new faces into people after each batch of jobs.
 */

/** A sidecar larger than this is not a sidecar (real ones are a few kilobytes). */
const MAX_SIDECAR_BYTES = 4 << 20;

/** Faces alike before they make a new person. See people-clustering.ts. */
const MIN_FACES_FOR_PERSON = 2;

interface FaceServiceDeps {
  db: Db;
  store: LibraryStore;
  modelsDir: string;
  device: () => Device;
  onReport: (report: RuntimeReport) => void;
}

function faceJobKind(modelId: string): JobKind {
  return `faces:${modelId}`;
}

export class FaceService {
  readonly faces: FaceStore;
  private model: FaceModel | undefined;

  constructor(private readonly deps: FaceServiceDeps) {
    this.faces = new FaceStore(deps.db);
  }

  get enabled(): boolean {
    return getSettingValue(this.deps.store, 'faces') === 'on';
  }

  /** The face model this library would use, and whether it is installed. */
  choice(): ModelChoice {
    return chooseModel(this.deps.modelsDir, 'faces', getSettingValue(this.deps.store, 'face-model') || undefined);
  }

  /** The model to run, when faces are on and one is installed. */
  private loaded(): FaceModel | undefined {
    if (!this.enabled) return undefined;
    const choice = this.choice();
    if (!choice.entry || !choice.installed) return undefined;
    if (this.model?.id !== choice.entry.id) {
      void this.model?.release();
      this.model = new FaceModel(this.deps.modelsDir, choice.entry, { device: this.deps.device(), onSession: (session) => this.deps.onReport(session.report()) });
    }
    return this.model;
  }

  /** Queues every readable photo the model has not looked at; returns how many were queued. */
  queueFaces(): number {
    const model = this.loaded();
    if (!model) return 0;
    const { sql, params } = this.faces.unscannedQuery(model.id);
    return this.deps.store.jobs.enqueueSelected(faceJobKind(model.id), sql, params);
  }

  /**
   * The face job: one photo at a time (decoded upright, faces found, aligned and embedded, kept).
   * A photo that cannot be decoded fails alone; a model that cannot run blames no photo.
   */
  jobHandler(): [JobKind, JobHandler] | null {
    const model = this.loaded();
    if (!model) return null;
    return [
      faceJobKind(model.id),
      {
        batchSize: 1,
        failsPhoto: false,
        run: async ([photoId]) => {
          try {
            await model.ready();
          } catch (error) {
            throw new HandlerUnavailableError(`cannot find faces with ${model.id}: ${errorMessage(error)}`);
          }
          try {
            const file = await currentFile(this.deps.store, photoId!);
            const image = await FaceModel.decode(file);
            this.faces.putScan(photoId!, model.id, await model.analyse(image));
            await this.importSidecarNames(photoId!, file);
            return [undefined];
          } catch (error) {
            return [error instanceof Error ? error : new Error(String(error))];
          }
        },
      },
    ];
  }

  /**
   * People named in the photo's XMP sidecar by another app (digiKam, Lightroom: MWG face regions)
   * join Iris's people of those names (face-store.ts importNamed). A sidecar that cannot be read is
   * passed over: it is the other app's file, and Iris only reads it.
   */
  private async importSidecarNames(photoId: number, file: string): Promise<void> {
    let text: string;
    try {
      const sidecar = sidecarPathFor(file, 'auto');
      const stat = await fs.stat(sidecar);
      if (stat.size > MAX_SIDECAR_BYTES) return;
      text = await fs.readFile(sidecar, 'utf8');
    } catch {
      return;
    }
    let regions: ReturnType<typeof readFaceRegions>;
    try {
      regions = readFaceRegions(text);
    } catch {
      return;
    }
    for (const region of regions) this.faces.importNamed(photoId, region);
  }

  /** Places the faces found since the last run into people (people-clustering.ts); returns how many faces were placed. */
  clusterPending(): { placed: number; newPeople: number } {
    const model = this.loaded();
    if (!model) return { placed: 0, newPeople: 0 };
    const pending = this.faces.unplaced(model.id);
    if (pending.length === 0) return { placed: 0, newPeople: 0 };
    const result = clusterFaces({ people: this.faces.peopleFaces(model.id), pending, threshold: model.matchThreshold, newPersonThreshold: model.newPersonThreshold, minFaces: MIN_FACES_FOR_PERSON });
    const created = this.faces.applyClustering(result.joins, result.groups);
    return { placed: result.joins.length + result.groups.reduce((sum, group) => sum + group.length, 0), newPeople: created.length };
  }

  /**
   * A face the person drew (box in fractions of the upright photo). To be recognised later it needs
   * an embedding: the detector looks again inside the box (with a margin, at the detector's full
   * input size, so a face too small for it in the whole photo is large enough there); when it finds
   * one, its keypoints align the face as usual. Otherwise the face is kept without one: it belongs
   * to the person it was given to, and clustering leaves it alone.
   */
  async drawFace(photoId: number, box: { x: number; y: number; w: number; h: number }, personId: number | null): Promise<{ id: number; recognised: boolean }> {
    let embedding: Float32Array | null = null;
    const model = this.loaded();
    if (model) {
      try {
        const image = await FaceModel.decode(await currentFile(this.deps.store, photoId));
        embedding = await model.embedInBox(image, box);
      } catch {
        // Kept without an embedding: the photo or the model could not be read now.
      }
    }
    return { id: this.faces.addDrawn(photoId, box, embedding, personId), recognised: embedding !== null };
  }

  async release(): Promise<void> {
    await this.model?.release();
    this.model = undefined;
  }
}
