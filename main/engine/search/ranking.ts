/**
 * The small ranking structures vector search uses: a bounded top-k of scored photos, and a heap
 * that hands out candidate positions by bound, largest first.
 */

export interface VectorHit {
  photoId: number;
  /** Cosine similarity of the (normalised) query and the photo's embedding, -1..1. */
  score: number;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** Best score first; ties by photo id, so results are stable. */
export const byScore = (a: VectorHit, b: VectorHit) => b.score - a.score || a.photoId - b.photoId;

/** Keeps the k best hits seen, as a min-heap on score (ties: the higher photo id is worse). */
export class TopK {
  private readonly heap: VectorHit[] = [];
  constructor(private readonly k: number) {}

  get full(): boolean {
    return this.heap.length >= this.k;
  }

  /** The k-th best score so far (the heap's root); -Infinity until k were offered. */
  get worst(): number {
    return this.full ? this.heap[0]!.score : -Infinity;
  }

  private worse(a: VectorHit, b: VectorHit): boolean {
    return a.score < b.score || (a.score === b.score && a.photoId > b.photoId);
  }

  offer(photoId: number, score: number): void {
    const heap = this.heap;
    if (heap.length < this.k) {
      heap.push({ photoId, score });
      let i = heap.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(heap[i]!, heap[parent]!)) break;
        [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
        i = parent;
      }
      return;
    }
    if (!this.worse(heap[0]!, { photoId, score })) return;
    heap[0] = { photoId, score };
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < heap.length && this.worse(heap[left]!, heap[worst]!)) worst = left;
      if (right < heap.length && this.worse(heap[right]!, heap[worst]!)) worst = right;
      if (worst === i) break;
      [heap[i], heap[worst]] = [heap[worst]!, heap[i]!];
      i = worst;
    }
  }

  sorted(): VectorHit[] {
    return [...this.heap].sort(byScore);
  }
}

/** Positions of `values` from the largest down, popped one at a time (a binary max-heap). */
export class BoundHeap {
  private readonly heap: Int32Array;
  private size: number;

  constructor(private readonly values: Float32Array) {
    this.size = values.length;
    this.heap = Int32Array.from({ length: this.size }, (_, i) => i);
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.down(i);
  }

  /** The position of the largest value left, or -1. */
  pop(): number {
    if (this.size === 0) return -1;
    const top = this.heap[0]!;
    this.heap[0] = this.heap[--this.size]!;
    this.down(0);
    return top;
  }

  private down(i: number): void {
    const { heap, values, size } = this;
    for (;;) {
      const left = 2 * i + 1;
      let largest = i;
      if (left < size && values[heap[left]!]! > values[heap[largest]!]!) largest = left;
      if (left + 1 < size && values[heap[left + 1]!]! > values[heap[largest]!]!) largest = left + 1;
      if (largest === i) return;
      [heap[i], heap[largest]] = [heap[largest]!, heap[i]!];
      i = largest;
    }
  }
}
