export { Engine, type IndexSummary } from './engine.js';
export { LibraryWatcher } from './library/watcher.js';
export { UsageError, errorMessage } from './errors.js';
export type { EngineEvents, PhotoEvent, ProgressEvent, Problem } from './events.js';
export type { Folder, PhotoRecord, PhotoStatus } from './library-store.js';
