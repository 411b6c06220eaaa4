import type { DetectorSpec } from '../models/face-catalog.js';

/**
 * Face detection's arithmetic, apart from the model run: the photo letterboxed into the detector's
 * input, and the detector's outputs decoded into faces (box, 5 keypoints, score) in the photo's
 * pixels, overlapping ones merged by non-maximum suppression. Written here rather than taken from
 * a library because the decoding is a few dozen lines per architecture and must match the
 * published exports exactly (the catalog names which one).
 */

export interface RgbImage {
  /** Interleaved RGB, 3 bytes per pixel, row by row. */
  data: Uint8Array;
  width: number;
  height: number;
}

export interface DetectedFace {
  /** Box in the photo's pixels. */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  /** Left eye, right eye, nose, left and right mouth corners (as seen in the photo), [x, y] each. */
  keypoints: [number, number][];
}

/** What the detector is fed: the input tensor and how it maps back to the photo. */
export interface Letterboxed {
  tensor: Float32Array;
  width: number;
  height: number;
  /** Input pixels per photo pixel. */
  scale: number;
}

const STRIDES = [8, 16, 32] as const;

/**
 * The input size for a photo: its longest side brought to `input_size` (never enlarged: a small
 * photo costs a small run), each side rounded up to a multiple of 32, as the strides need.
 */
export function detectorInputSize(width: number, height: number, spec: DetectorSpec): { width: number; height: number; scale: number } {
  const scale = Math.min(1, spec.input_size / Math.max(width, height));
  const up = (n: number) => Math.max(32, Math.ceil(Math.round(n * scale) / 32) * 32);
  return { width: up(width), height: up(height), scale };
}

/**
 * `resized` (the photo already shrunk to `scale`, as sharp resizes) placed at the top left of the
 * input, the rest padded with black (InsightFace pads with zero pixels too), normalised per the
 * catalog and laid out as [1, 3, H, W].
 */
export function letterbox(resized: RgbImage, size: { width: number; height: number; scale: number }, spec: DetectorSpec): Letterboxed {
  const { width, height } = size;
  const plane = width * height;
  const tensor = new Float32Array(3 * plane).fill((0 - spec.mean) / spec.std);
  const order = spec.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const rows = Math.min(resized.height, height);
  const cols = Math.min(resized.width, width);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const from = (y * resized.width + x) * 3;
      const to = y * width + x;
      for (let c = 0; c < 3; c++) tensor[c * plane + to] = (resized.data[from + order[c]!]! - spec.mean) / spec.std;
    }
  }
  return { tensor, width, height, scale: size.scale };
}

interface Output {
  data: Float32Array;
}

/**
 * The detector's outputs as faces in the photo's pixels, best first, after the score threshold
 * and non-maximum suppression. `outputs` are by name; `names` is the session's output order
 * (SCRFD's are read by position: scores, boxes, keypoints for each stride).
 */
export function decodeDetections(outputs: Record<string, Output>, names: readonly string[], input: Letterboxed, spec: DetectorSpec): DetectedFace[] {
  const faces = spec.architecture === 'scrfd' ? decodeScrfd(outputs, names, input, spec) : decodeYunet(outputs, input, spec);
  const back = 1 / input.scale;
  const inPhoto = faces.map((face) => ({
    x1: face.x1 * back,
    y1: face.y1 * back,
    x2: face.x2 * back,
    y2: face.y2 * back,
    score: face.score,
    keypoints: face.keypoints.map(([x, y]) => [x * back, y * back] as [number, number]),
  }));
  return nonMaximumSuppression(inPhoto, spec.nms_iou);
}

function decodeScrfd(outputs: Record<string, Output>, names: readonly string[], input: Letterboxed, spec: DetectorSpec): DetectedFace[] {
  if (names.length !== 9) throw new Error(`an SCRFD detector with keypoints has 9 outputs (scores, boxes, keypoints × 3 strides), this one has ${names.length}`);
  const faces: DetectedFace[] = [];
  STRIDES.forEach((stride, s) => {
    const scores = outputs[names[s]!]!.data;
    const boxes = outputs[names[s + 3]!]!.data;
    const points = outputs[names[s + 6]!]!.data;
    const columns = Math.ceil(input.width / stride);
    for (let i = 0; i < scores.length; i++) {
      const score = scores[i]!;
      if (score < spec.score_threshold) continue;
      const location = Math.floor(i / spec.anchors);
      const cx = (location % columns) * stride;
      const cy = Math.floor(location / columns) * stride;
      const keypoints: [number, number][] = [];
      for (let k = 0; k < 5; k++) keypoints.push([cx + points[i * 10 + 2 * k]! * stride, cy + points[i * 10 + 2 * k + 1]! * stride]);
      faces.push({ x1: cx - boxes[i * 4]! * stride, y1: cy - boxes[i * 4 + 1]! * stride, x2: cx + boxes[i * 4 + 2]! * stride, y2: cy + boxes[i * 4 + 3]! * stride, score, keypoints });
    }
  });
  return faces;
}

function decodeYunet(outputs: Record<string, Output>, input: Letterboxed, spec: DetectorSpec): DetectedFace[] {
  const faces: DetectedFace[] = [];
  for (const stride of STRIDES) {
    const get = (kind: string) => {
      const output = outputs[`${kind}_${stride}`];
      if (!output) throw new Error(`a YuNet detector has outputs ${kind}_8/16/32; ${kind}_${stride} is missing`);
      return output.data;
    };
    const [cls, obj, bbox, kps] = [get('cls'), get('obj'), get('bbox'), get('kps')];
    const columns = Math.ceil(input.width / stride);
    for (let i = 0; i < cls.length; i++) {
      const score = Math.sqrt(clamp01(cls[i]!) * clamp01(obj[i]!));
      if (score < spec.score_threshold) continue;
      const column = i % columns;
      const row = Math.floor(i / columns);
      const cx = (column + bbox[i * 4]!) * stride;
      const cy = (row + bbox[i * 4 + 1]!) * stride;
      const w = Math.exp(bbox[i * 4 + 2]!) * stride;
      const h = Math.exp(bbox[i * 4 + 3]!) * stride;
      const keypoints: [number, number][] = [];
      for (let k = 0; k < 5; k++) keypoints.push([(kps[i * 10 + 2 * k]! + column) * stride, (kps[i * 10 + 2 * k + 1]! + row) * stride]);
      faces.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score, keypoints });
    }
  }
  return faces;
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function iou(a: DetectedFace, b: DetectedFace): number {
  const w = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const h = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = w * h;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy NMS: the best face stays, every later one overlapping it by more than `threshold` goes. */
export function nonMaximumSuppression(faces: readonly DetectedFace[], threshold: number): DetectedFace[] {
  const sorted = [...faces].sort((a, b) => b.score - a.score);
  const kept: DetectedFace[] = [];
  for (const face of sorted) if (kept.every((other) => iou(face, other) <= threshold)) kept.push(face);
  return kept;
}
