/**
 * The preload: exposes exactly the contract as `window.iris` (see bridge.ts) and nothing else.
 * Runs sandboxed (only `electron` can be required), so it is bundled into one CommonJS file by
 * preload/vite.config.ts, which also fills in the contract's names.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createIrisApi } from './bridge.js';

declare const __IRIS_UI_CALLS__: readonly string[];
declare const __IRIS_EVENTS__: readonly string[];

contextBridge.exposeInMainWorld('iris', createIrisApi(ipcRenderer, { calls: __IRIS_UI_CALLS__, events: __IRIS_EVENTS__ }));
