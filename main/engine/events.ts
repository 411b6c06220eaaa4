import type { JobProgress } from './jobs/runner.js';

/** What happened to a file in a watched folder. The CLI prints these as JSON lines. */
export type PhotoEvent =
  | { event: 'added'; path: string; photoId: number }
  | { event: 'changed'; path: string; photoId: number }
  | { event: 'moved'; from: string; path: string; photoId: number }
  | { event: 'removed'; path: string; photoId: number }
  | { event: 'failed'; path: string; error: string; photoId: number | null };

export type ProgressEvent =
  | { phase: 'scan'; found: number; current: string | null }
  | { phase: 'read'; done: number; total: number; rate: number; etaSeconds: number | null; current: string | null }
  | ({ phase: 'jobs' } & JobProgress);

export interface Problem {
  scope: 'watcher' | 'scan' | 'read' | 'model' | 'xmp';
  path: string | null;
  message: string;
}

/** A caption was stored (by a batch job or a generate call). */
export interface CaptionEvent {
  photoId: number;
  text: string;
  model: string;
}

export interface EngineEvents {
  progress: [ProgressEvent];
  photo: [PhotoEvent];
  problem: [Problem];
  caption: [CaptionEvent];
}
