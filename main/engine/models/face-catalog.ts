import { z } from 'zod';

/**
 * The `preprocessing` of a `faces` entry: a detector and a recognizer, each an ONNX file of the
 * entry, described as data (models/catalog.ts checks it when the catalog loads; the runtime reads
 * it, nothing is hard-coded there).
 */

const Detector = z.strictObject({
  /** The file (in `files`). */
  file: z.string().min(1),
  /**
   * How its outputs are read (faces/detect.ts). "scrfd": InsightFace's SCRFD with keypoints (the
   * buffalo packs' detection/model.onnx): per stride 8, 16, 32 a score, a box as distances and 5
   * keypoints as offsets, `anchors` anchors per location, outputs in that order (scores, boxes,
   * keypoints). "yunet": OpenCV Zoo's YuNet (2023mar): cls_/obj_/bbox_/kps_<stride> outputs, one
   * anchor per location, score √(cls·obj).
   */
  architecture: z.enum(['scrfd', 'yunet']),
  /** The longest side the photo is letterboxed into (a multiple of 32); smaller photos are not enlarged. */
  input_size: z.number().int().positive().multipleOf(32),
  /** Pixel values fed: (value − mean) / std, in this channel order. */
  mean: z.number(),
  std: z.number().positive(),
  channels: z.enum(['rgb', 'bgr']),
  /** Anchors per grid location (SCRFD's are 2). */
  anchors: z.number().int().positive().default(1),
  /** A face needs at least this score. */
  score_threshold: z.number().min(0).max(1),
  /** Overlapping detections above this IoU are one face. */
  nms_iou: z.number().min(0).max(1),
});

const Recognizer = z.strictObject({
  file: z.string().min(1),
  /** The face is aligned onto ArcFace's 5-point template at this side (112 for ArcFace, MobileFaceNet and SFace). */
  image_size: z.number().int().positive(),
  mean: z.number(),
  std: z.number().positive(),
  channels: z.enum(['rgb', 'bgr']),
  embedding_dim: z.number().int().positive(),
  /**
   * Cosine similarity at or above which two faces are taken for the same person. Per recognizer,
   * from measured distributions of same-person and different-person pairs (each entry's notes say
   * which): the clustering (faces/people-clustering.ts) reads it, never a constant of its own.
   */
  match_threshold: z.number().min(-1).max(1),
  /**
   * Cosine at or above which faces waiting with no person are alike enough to become a new person
   * (default: match_threshold). Higher than the match threshold: a library holds many strangers
   * seen once, and among tens of thousands of them some pairs reach the match threshold by chance
   * (BENCHMARKS.md, faces), while a face joining an existing person is compared with that person's
   * mean face, which is steadier than one other face.
   */
  new_person_threshold: z.number().min(-1).max(1).optional(),
});

export const FacesCatalogPreprocessingSchema = z.strictObject({
  detector: Detector,
  recognizer: Recognizer,
  /**
   * Whether the weights may be used commercially, as their licence says: "permissive" (MIT,
   * Apache-2.0), "non-commercial" (InsightFace's packs) or "unstated". Settings shows it.
   */
  use: z.enum(['permissive', 'non-commercial', 'unstated']),
});

export type FacesPreprocessing = z.infer<typeof FacesCatalogPreprocessingSchema>;
export type DetectorSpec = FacesPreprocessing['detector'];
export type RecognizerSpec = FacesPreprocessing['recognizer'];
