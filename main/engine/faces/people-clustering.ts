/**
 * Faces into people, incrementally (the way Immich and Ente do it, not a batch re-clustering that
 * would redraw everyone each time): a face not yet placed joins the person whose faces it is most
 * like, when the cosine to that person's mean face reaches the recognizer's match threshold
 * (catalog: `recognizer.match_threshold`, set from measured same/different distributions). A face
 * like no person waits; once `minFaces` waiting faces are alike at the stricter new-person
 * threshold (`new_person_threshold`: strangers are many, and chance pairs among them are not
 * people), they become a new person. People, their names and the person's choices are never redrawn: only faces with no
 * person and never touched by the person are placed (face-store.ts).
 *
 * The waiting faces are compared with each other as they come, so the cost per face is the number
 * of people plus the number of faces still waiting (strangers in the background mostly), not the
 * whole library.
 */

export interface ClusterInput {
  /** Existing people with their faces' embeddings (L2-normalised). */
  people: ReadonlyMap<number, readonly Float32Array[]>;
  /** Faces to place, in the order they came (L2-normalised). */
  pending: readonly { id: number; embedding: Float32Array }[];
  threshold: number;
  /** Cosine at or above which waiting faces are alike enough to make a new person (default: threshold). */
  newPersonThreshold?: number;
  /** Faces alike before a new person is made. */
  minFaces: number;
}

export interface ClusterResult {
  joins: { faceId: number; personId: number }[];
  /** New people, each as the ids of its faces. */
  groups: number[][];
}

interface Centroid {
  personId: number | null;
  /** Sum of the faces' embeddings; its direction is the mean face's. */
  sum: Float32Array;
  norm: number;
  faces: number[];
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function add(centroid: Centroid, embedding: Float32Array): void {
  for (let i = 0; i < embedding.length; i++) centroid.sum[i]! += embedding[i]!;
  centroid.norm = Math.sqrt(dot(centroid.sum, centroid.sum)) || 1;
}

export function clusterFaces(input: ClusterInput): ClusterResult {
  const centroids: Centroid[] = [];
  for (const [personId, faces] of input.people) {
    if (faces.length === 0) continue;
    const centroid: Centroid = { personId, sum: new Float32Array(faces[0]!.length), norm: 1, faces: [] };
    for (const face of faces) add(centroid, face);
    centroids.push(centroid);
  }
  const joins: ClusterResult['joins'] = [];
  const groups: ClusterResult['groups'] = [];
  // New people made in this run keep their centroid here too (personId null until stored).
  const waiting = new WaitingFaces(input.pending[0]?.embedding.length ?? 0);
  for (const face of input.pending) {
    let best: Centroid | undefined;
    let bestCosine = -Infinity;
    for (const centroid of centroids) {
      const cosine = dot(centroid.sum, face.embedding) / centroid.norm;
      if (cosine > bestCosine) {
        bestCosine = cosine;
        best = centroid;
      }
    }
    if (best && bestCosine >= input.threshold) {
      add(best, face.embedding);
      if (best.personId !== null) joins.push({ faceId: face.id, personId: best.personId });
      else best.faces.push(face.id);
      continue;
    }
    const alike = waiting.alike(face.embedding, input.newPersonThreshold ?? input.threshold);
    if (alike.length + 1 >= input.minFaces) {
      const members = [...alike.map((slot) => waiting.take(slot)), face];
      const centroid: Centroid = { personId: null, sum: new Float32Array(face.embedding.length), norm: 1, faces: members.map((member) => member.id) };
      for (const member of members) add(centroid, member.embedding);
      centroids.push(centroid);
      continue;
    }
    waiting.add(face);
  }
  for (const centroid of centroids) if (centroid.personId === null) groups.push(centroid.faces);
  return { joins, groups };
}

/**
 * The faces waiting for a second face like them, in one flat array: in a library of strangers they
 * are most faces, and every new face is compared with all of them, so the scan is the clustering's
 * cost. A flat Float32Array with a 4-way unrolled dot product scans several times faster than an
 * array of vectors (measured: BENCHMARKS.md, faces). A face taken out leaves a hole that the next
 * one fills.
 */
class WaitingFaces {
  private vectors = new Float32Array(0);
  private ids: (number | undefined)[] = [];
  private readonly holes: number[] = [];

  constructor(private readonly dim: number) {}

  add(face: { id: number; embedding: Float32Array }): void {
    let slot = this.holes.pop();
    if (slot === undefined) {
      slot = this.ids.length;
      this.ids.push(undefined);
      if ((slot + 1) * this.dim > this.vectors.length) {
        const grown = new Float32Array(Math.max(this.dim * 64, this.vectors.length * 2));
        grown.set(this.vectors);
        this.vectors = grown;
      }
    }
    this.ids[slot] = face.id;
    this.vectors.set(face.embedding, slot * this.dim);
  }

  /** Slots of the waiting faces at or above `threshold` from `embedding`. */
  alike(embedding: Float32Array, threshold: number): number[] {
    const found: number[] = [];
    const { dim, vectors, ids } = this;
    for (let slot = 0; slot < ids.length; slot++) {
      if (ids[slot] === undefined) continue;
      const base = slot * dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let i = 0;
      for (; i + 3 < dim; i += 4) {
        s0 += vectors[base + i]! * embedding[i]!;
        s1 += vectors[base + i + 1]! * embedding[i + 1]!;
        s2 += vectors[base + i + 2]! * embedding[i + 2]!;
        s3 += vectors[base + i + 3]! * embedding[i + 3]!;
      }
      for (; i < dim; i++) s0 += vectors[base + i]! * embedding[i]!;
      if (s0 + s1 + s2 + s3 >= threshold) found.push(slot);
    }
    return found;
  }

  /** Takes the face out of the slot. */
  take(slot: number): { id: number; embedding: Float32Array } {
    const id = this.ids[slot]!;
    const embedding = this.vectors.slice(slot * this.dim, (slot + 1) * this.dim);
    this.ids[slot] = undefined;
    this.holes.push(slot);
    return { id, embedding };
  }
}
