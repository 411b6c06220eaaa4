/**
 * The contract's types under the names the UI uses. Type-only imports: zod (which the contract is
 * written in) never reaches the renderer bundle.
 */
import type { CallResult, EventPayload } from '../../../main/contract/contract.js';

export type { CallArgs, CallError, CallResult, EventName, EventPayload, IrisApi, UiCallName } from '../../../main/contract/contract.js';

export type Capabilities = CallResult<'app.capabilities'>;
export type LibraryStatus = CallResult<'library.status'>;
export type Folder = CallResult<'folders.list'>[number];
export type Timeline = CallResult<'photos.timeline'>;
export type PhotoDetail = CallResult<'photos.get'>;
export type SearchResult = CallResult<'search.text'>;
export type ZeroShotResult = CallResult<'tags.zeroShot'>;
export type JobsStatus = CallResult<'jobs.status'>;
export type SettingState = CallResult<'settings.set'>;
export type DeviceStatus = CallResult<'device.status'>;
export type ModelInfo = CallResult<'models.list'>[number];
export type MapLayout = CallResult<'map.layout'>;
export type Caption = NonNullable<CallResult<'captions.get'>>;
export type CaptionsStatus = CallResult<'captions.status'>;
export type AskStatus = CallResult<'ask.status'>;
export type Conversation = CallResult<'conversations.list'>[number];
export type ConversationMessage = CallResult<'conversations.get'>['messages'][number];
export type ProgressEvent = EventPayload<'progress'>;
export type ModelsProgressEvent = EventPayload<'models.progress'>;
export type EngineStateEvent = EventPayload<'engine.state'>;
export type ProblemEvent = EventPayload<'problem'>;

/** Where the UI gets image bytes: by photo id, never by path. */
export interface MediaUrls {
  thumb(id: number, retry?: number): string;
  preview(id: number): string;
  photo(id: number): string;
  /** A map tile (z/x/y, Web Mercator), fetched and kept by the engine; only with online tiles on. */
  tile(z: number, x: number, y: number): string;
}
