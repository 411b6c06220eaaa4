import sharp from 'sharp';
import type { Device } from '../runtime/devices.js';
import { type ModelEntry, modelFilePath } from '../models/catalog.js';
import { FacesCatalogPreprocessingSchema, type FacesPreprocessing } from '../models/face-catalog.js';
import { ensureVerified } from '../models/verified.js';
import { type ModelSession, createSession, loadOrt } from '../runtime/session.js';
import { PIXEL_LIMIT } from '../library/metadata.js';
import { alignFace } from './align.js';
import { type DetectedFace, type RgbImage, decodeDetections, detectorInputSize, letterbox } from './detect.js';

/**
 * A face model from the catalog (task `faces`): a detector and a recognizer, each an ONNX session
 * made on first use after its file's sha256 is verified. `analyse` finds the faces in a photo,
 * aligns each onto the ArcFace template and embeds it (L2-normalised).
 */

export interface FoundFace {
  /** Box as fractions of the (upright) photo's width and height: what MWG regions store too. */
  box: { x: number; y: number; w: number; h: number };
  /** The 5 keypoints as fractions of the photo's width and height. */
  keypoints: [number, number][];
  score: number;
  embedding: Float32Array;
}

export interface FaceModelOptions {
  device?: Device;
  intraOpThreads?: number;
  onSession?: (session: ModelSession) => void;
}

/** The photo is decoded at most this large: faces are found at the detector's 640 anyway, and aligned crops of 112 need no more. */
const DECODE_LONG_EDGE = 2048;

export class FaceModel {
  readonly prep: FacesPreprocessing;
  private detector: Promise<ModelSession> | undefined;
  private recognizer: Promise<ModelSession> | undefined;
  /** One inference at a time: a run already uses every core. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly modelsDir: string,
    readonly entry: ModelEntry,
    private readonly options: FaceModelOptions = {},
  ) {
    if (entry.task !== 'faces') throw new Error(`model ${entry.id} is a ${entry.task} model, not a face model`);
    this.prep = FacesCatalogPreprocessingSchema.parse(entry.preprocessing);
  }

  get id(): string {
    return this.entry.id;
  }

  /** Cosine at or above which two faces are one person (per recognizer, from the catalog). */
  get matchThreshold(): number {
    return this.prep.recognizer.match_threshold;
  }

  /** Cosine at or above which waiting faces make a new person (catalog; default the match threshold). */
  get newPersonThreshold(): number {
    return this.prep.recognizer.new_person_threshold ?? this.prep.recognizer.match_threshold;
  }

  get dim(): number {
    return this.prep.recognizer.embedding_dim;
  }

  /** Both sessions, verified and made (a face job calls this first: a missing model blames no photo). */
  async ready(): Promise<void> {
    await Promise.all([this.session('detector'), this.session('recognizer')]);
  }

  private session(part: 'detector' | 'recognizer'): Promise<ModelSession> {
    const existing = part === 'detector' ? this.detector : this.recognizer;
    if (existing) return existing;
    const created = (async () => {
      const path = this.prep[part].file;
      await ensureVerified(this.modelsDir, this.entry, [path]);
      const file = this.entry.files.find((f) => f.path === path)!;
      const session = await createSession(modelFilePath(this.modelsDir, this.entry, file), { device: this.options.device, intraOpThreads: this.options.intraOpThreads, label: `${this.id} ${part}` });
      this.options.onSession?.(session);
      return session;
    })();
    created.catch(() => {
      if (part === 'detector') this.detector = undefined;
      else this.recognizer = undefined;
    });
    if (part === 'detector') this.detector = created;
    else this.recognizer = created;
    return created;
  }

  /** The photo upright (EXIF orientation applied), at most DECODE_LONG_EDGE on its long side, as RGB. */
  static async decode(file: string): Promise<RgbImage & { scale: number; originalWidth: number; originalHeight: number }> {
    const image = sharp(file, { limitInputPixels: PIXEL_LIMIT }).rotate();
    const meta = await image.metadata();
    const upright = (meta.orientation ?? 1) >= 5;
    const originalWidth = (upright ? meta.height : meta.width) ?? 0;
    const originalHeight = (upright ? meta.width : meta.height) ?? 0;
    const { data, info } = await image
      .resize({ width: DECODE_LONG_EDGE, height: DECODE_LONG_EDGE, fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, scale: originalWidth ? info.width / originalWidth : 1, originalWidth, originalHeight };
  }

  /** The faces in a decoded photo, best first. */
  async analyse(image: RgbImage): Promise<FoundFace[]> {
    const detected = await this.detect(image);
    const faces: FoundFace[] = [];
    for (const face of detected) faces.push({ ...placement(face, image), score: face.score, embedding: await this.embed(image, face.keypoints) });
    return faces;
  }

  /** The faces a detector finds, in the image's pixels. */
  async detect(image: RgbImage): Promise<DetectedFace[]> {
    const spec = this.prep.detector;
    const size = detectorInputSize(image.width, image.height, spec);
    const resizedWidth = Math.max(1, Math.round(image.width * size.scale));
    const resizedHeight = Math.max(1, Math.round(image.height * size.scale));
    const resized =
      size.scale === 1
        ? image
        : { data: new Uint8Array(await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).resize(resizedWidth, resizedHeight, { fit: 'fill' }).raw().toBuffer()), width: resizedWidth, height: resizedHeight };
    const input = letterbox(resized, size, spec);
    const session = await this.session('detector');
    const ort = await loadOrt();
    const name = session.inputs[0]!.name;
    const outputs = await this.serialised(() => session.run({ [name]: new ort.Tensor('float32', input.tensor, [1, 3, input.height, input.width]) }));
    const byName = Object.fromEntries(Object.entries(outputs).map(([key, tensor]) => [key, { data: tensor.data as Float32Array }]));
    return decodeDetections(byName, session.outputs.map((output) => output.name), input, spec);
  }

  /** The L2-normalised embedding of the face whose keypoints are given (in the image's pixels). */
  async embed(image: RgbImage, keypoints: readonly [number, number][]): Promise<Float32Array> {
    const spec = this.prep.recognizer;
    const size = spec.image_size;
    const crop = alignFace(image, keypoints, size);
    const plane = size * size;
    const tensor = new Float32Array(3 * plane);
    const order = spec.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) tensor[c * plane + i] = (crop[i * 3 + order[c]!]! - spec.mean) / spec.std;
    const session = await this.session('recognizer');
    const ort = await loadOrt();
    const outputs = await this.serialised(() => session.run({ [session.inputs[0]!.name]: new ort.Tensor('float32', tensor, [1, 3, size, size]) }));
    const raw = outputs[session.outputs[0]!.name]!.data as Float32Array;
    if (raw.length !== spec.embedding_dim) throw new Error(`model ${this.id}: the recognizer gave ${raw.length} numbers, the catalog says ${spec.embedding_dim}`);
    return normalise(raw);
  }

  /** The embedding of the face the detector finds inside `box` (fractions of the image, with a margin), or null when it finds none. */
  async embedInBox(image: RgbImage, box: FoundFace['box']): Promise<Float32Array | null> {
    const margin = 0.25;
    const left = Math.max(0, Math.floor((box.x - box.w * margin) * image.width));
    const top = Math.max(0, Math.floor((box.y - box.h * margin) * image.height));
    const right = Math.min(image.width, Math.ceil((box.x + box.w * (1 + margin)) * image.width));
    const bottom = Math.min(image.height, Math.ceil((box.y + box.h * (1 + margin)) * image.height));
    if (right - left < 8 || bottom - top < 8) return null;
    // The region enlarged to the detector's input, so a small face is seen at the size it knows.
    const side = this.prep.detector.input_size;
    const scale = side / Math.max(right - left, bottom - top);
    const width = Math.max(1, Math.round((right - left) * scale));
    const height = Math.max(1, Math.round((bottom - top) * scale));
    const region = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      .extract({ left, top, width: right - left, height: bottom - top })
      .resize(width, height, { fit: 'fill' })
      .raw()
      .toBuffer();
    const crop = { data: new Uint8Array(region.buffer, region.byteOffset, region.byteLength), width, height };
    const [face] = await this.detect(crop);
    return face ? this.embed(crop, face.keypoints) : null;
  }

  async release(): Promise<void> {
    for (const session of [this.detector, this.recognizer]) await (await session?.catch(() => undefined))?.release();
    this.detector = undefined;
    this.recognizer = undefined;
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const v of vector) sum += v * v;
  const norm = Math.sqrt(sum) || 1;
  return Float32Array.from(vector, (v) => v / norm);
}

/** A detection as fractions of the image, clipped to it. */
function placement(face: DetectedFace, image: RgbImage): Pick<FoundFace, 'box' | 'keypoints'> {
  const clip = (v: number) => Math.min(1, Math.max(0, v));
  const x1 = clip(face.x1 / image.width);
  const y1 = clip(face.y1 / image.height);
  const x2 = clip(face.x2 / image.width);
  const y2 = clip(face.y2 / image.height);
  return { box: { x: x1, y: y1, w: x2 - x1, h: y2 - y1 }, keypoints: face.keypoints.map(([x, y]) => [x / image.width, y / image.height]) };
}
