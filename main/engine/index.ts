export { Engine, type EngineOptions, type IndexSummary, type ScanSummary } from './engine.js';
export { LibraryWatcher, type WatchOptions } from './library/watcher.js';
export { UsageError, errorMessage } from './errors.js';
export type { EngineEvents, PhotoEvent, ProgressEvent, Problem } from './events.js';
export type { Folder, PhotoRecord, PhotoStatus } from './library-store.js';
export { defaultLibraryDir, defaultModelsDir, libraryLayout } from './paths.js';
export { thumbnailPath, THUMBNAIL_SIZES } from './library/thumbnails.js';
