import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { type MapPoint, layoutEmbeddings } from './map-layout.js';

/**
 * Lays the map out on a worker thread: UMAP over a couple of thousand photos is seconds of pure
 * computation, and the engine's thread must stay free to answer searches meanwhile.
 */

interface LayoutJob {
  photoIds: number[];
  vectors: Float32Array;
  dim: number;
}

export function layoutInWorker(job: LayoutJob): Promise<MapPoint[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    worker.once('message', (points: MapPoint[]) => resolve(points));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`map layout worker exited with code ${code}`));
    });
  });
}

if (!isMainThread && parentPort) {
  const job = workerData as LayoutJob;
  parentPort.postMessage(layoutEmbeddings(job.photoIds, job.vectors, job.dim));
}
