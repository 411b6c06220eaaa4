import path from 'node:path';
import type { CallResult, ParsedArgs } from '../../contract/contract.js';
import { probeDevice } from '../doctor.js';
import { clearSetting, describeSetting, getSettingValue, listSettings, parseSettingKey, writeSetting } from '../settings.js';
import { UsageError } from '../errors.js';
import { MapTiles } from '../library/map-tiles.js';
import { loadRuntimeReport } from '../runtime/session.js';
import type { SearchOptions, SearchResponse } from '../search/clip-search.js';
import type { MatchReason } from '../search/text-search.js';
import type { SearchFilters } from '../search/filters.js';
import { irisVersion } from '../../version.js';
import { libraryFacets } from '../search/library-words.js';
import { jobKindCounts, photoDetail, photoNames, recentFailures, timeline } from './library-views.js';
import { readMedia } from './media.js';
import { captionAskHandlers } from './caption-ask-handlers.js';
import { peopleHandlers } from './people-handlers.js';
import { organiseHandlers } from './organise-handlers.js';
import { editHandlers } from './edit-handlers.js';
import type { EngineHandlers, HandlerContext } from './handler-context.js';


type PhotoFilterArgs = NonNullable<ParsedArgs<'photos.timeline'>['filters']>;

/** Filters as the engine takes them: the folder by path, looked up from its id. */
function photoFilters(context: HandlerContext, args: PhotoFilterArgs): SearchFilters {
  const folder = args.folderId === undefined ? undefined : context.engine.store.requireFolder(args.folderId);
  return {
    folder: folder?.path,
    after: args.after,
    before: args.before,
    formats: args.formats,
    cameras: args.camera ? [[args.camera]] : undefined,
    places: args.place ? [[args.place]] : undefined,
    people: args.person ? [[args.person]] : undefined,
    favourite: args.favourite,
    minRating: args.minRating,
    label: args.label,
    rejected: args.rejected,
    albumId: args.albumId,
    keyword: args.keyword,
    hidden: args.hidden,
  };
}

function searchOptions(context: HandlerContext, args: ParsedArgs<'search.text'> | ParsedArgs<'search.similar'>): SearchOptions {
  return { ...photoFilters(context, args), limit: args.limit ?? 100, cutoff: args.cutoff };
}

/**
 * The UI gets ids and scores; paths stay in the engine (the viewer asks photos.get). Each result
 * also says what a screen reader should call it: its file name, and its caption when it has one.
 */
function scoresOnly(
  response: Omit<SearchResponse, 'results'> & { results: (SearchResponse['results'][number] & { why?: MatchReason[] })[]; notice?: CallResult<'search.text'>['notice'] },
  captionOf: (photoId: number) => string | undefined,
): CallResult<'search.text'> {
  return {
    model: response.model,
    results: response.results.map(({ id, path: file, score, why }) => {
      const caption = captionOf(id);
      const label = { name: path.basename(file), ...(caption ? { caption } : {}) };
      return why ? { id, score, why, ...label } : { id, score, ...label };
    }),
    relevant: response.relevant,
    cutoff: response.cutoff,
    notice: response.notice ?? null,
    timings: response.timings,
  };
}

export function engineHandlers(context: HandlerContext): EngineHandlers {
  const engine = context.engine;
  const tiles = new MapTiles(engine.layout.mapTiles);
  const captionOf = (photoId: number) => engine.captionStore.get(photoId)?.text;
  return {
    ...captionAskHandlers(context),
    ...peopleHandlers(context),
    ...organiseHandlers(context),
    ...editHandlers(context),
    'library.status': () => {
      const counts = engine.store.counts();
      const choice = engine.clip.choice();
      const embeddings = engine.clip.embeddingSummary();
      return {
        version: irisVersion,
        libraryDir: engine.layout.dir,
        modelsDir: engine.modelsDir,
        folders: counts.folders,
        photos: { total: counts.photos, ok: counts.ok, pending: counts.pending, failed: counts.failed },
        clip: { model: choice.entry?.id ?? null, installed: choice.installed, reason: choice.reason ?? embeddings.skipped, missingModel: choice.missing ?? null, embedded: embeddings.embedded, missing: embeddings.missing, serving: embeddings.serving },
        indexing: context.indexing,
        paused: engine.paused,
      };
    },
    'library.rescan': ({ folderId }) => {
      const folders = folderId === undefined ? engine.library.listFolders() : [engine.store.requireFolder(folderId)];
      return { started: context.indexInBackground(folders) };
    },
    'folders.list': () => engine.library.listFolders(),
    'folders.add': ({ path }) => context.addFolder(path),
    'folders.remove': ({ folderId }) => context.removeFolder(folderId),
    'photos.timeline': ({ folderId, filters }) => timeline(engine.database, folderId, filters && photoFilters(context, filters)),
    'photos.get': ({ id }) => photoDetail(engine, id),
    'photos.names': ({ ids }) => ({ names: photoNames(engine.database, ids) }),
    // The same search as `iris search`: CLIP, fused with caption matches when there are any.
    'search.text': async (args) => {
      const answer = await engine.clip.search(args.query, { ...searchOptions(context, args), chips: args.chips, literal: args.literal });
      return { ...scoresOnly(answer, captionOf), chips: answer.chips };
    },
    'search.similar': async (args) => scoresOnly(await engine.clip.searcher().similar(String(args.photoId), searchOptions(context, args)), captionOf),
    'tags.zeroShot': async ({ photoIds, labels, save }) => {
      const tagged = await engine.clip.searcher().tag(photoIds.map(String), labels, save ?? false);
      return tagged.map((result) => ({ photoId: result.id, labels: result.labels }));
    },
    'jobs.status': () => ({ paused: engine.paused, running: engine.working, kinds: jobKindCounts(engine.database), failures: recentFailures(engine.database) }),
    'jobs.pause': () => context.pauseJobs(),
    'jobs.resume': () => context.resumeJobs(),
    'settings.list': () => listSettings(engine.store),
    'settings.set': ({ key, value }) => {
      const setting = parseSettingKey(key);
      if (value === null) clearSetting(engine.store, setting);
      else writeSetting(engine.store, setting, value);
      context.settingChanged(setting);
      return describeSetting(engine.store, setting);
    },
    'device.status': async () => {
      const probed = await probeDevice(engine);
      const last = loadRuntimeReport(engine.store);
      return {
        setting: probed.device.effective,
        resolvesTo: probed.device.resolvesTo,
        providers: probed.executionProviders.map((provider) => ({ name: provider.name, available: provider.probe?.available ?? null, reason: provider.probe?.reason ?? null })),
        lastRuntime: last
          ? { model: last.label ?? 'model', provider: last.provider, fallbacks: last.attempts.filter((attempt) => !attempt.ok).map((attempt) => ({ provider: attempt.provider, reason: attempt.reason ?? 'failed' })) }
          : null,
      };
    },
    'models.list': () => context.models.list(),
    'models.learnSizes': () => context.models.learnSizes(),
    'models.pause': ({ id }) => context.models.pause(id),
    'models.recommended': async () => {
      const { device } = await probeDevice(engine);
      const provider = device.resolvesTo ?? 'cpu';
      return context.models.recommended(provider, provider !== 'cpu', (key) => engine.store.getSetting(key) || undefined);
    },
    'models.install': ({ id }) => context.models.install(id),
    'models.verify': ({ id }) => context.models.verify(id),
    'map.layout': () => context.mapLayout(),
    'places.list': () => engine.store.placedPhotos(),
    'library.facets': () => ({ ...libraryFacets(engine.database), keywords: engine.organise.marks.keywordCounts() }),
    'media.read': (args) => readMedia(engine.store, engine.layout.thumbnails, args),
    'map.tile': ({ z, x, y }) => {
      if (getSettingValue(engine.store, 'map-tiles') === 'off') throw new UsageError('online map tiles are off: Settings › Map, or `iris settings set map-tiles openstreetmap`');
      return tiles.tile(z, x, y);
    },
  };
}
