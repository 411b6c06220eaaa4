/**
 * The one contract between the Iris UI and everything behind it: every call (name, argument schema,
 * result schema) and every event stream. Main validates renderer calls with it, the preload exposes
 * exactly its names as `window.iris`, the renderer takes its types from it, the browser-mode
 * WebSocket serves it, and tests call it. There is no other channel.
 *
 * Adding a capability = one entry here + one handler in the engine service (main/engine/service)
 * or, for the few calls only a host can answer (native dialogs, opening links), in the host.
 *
 * Plain zod, no Node or Electron imports: this file is bundled into the preload and the renderer.
 */
import { z } from 'zod';

// ---- shared shapes ----

const PhotoId = z.number().int().positive();
const PersonId = z.number().int().positive();
const FaceId = z.number().int().positive();
const PersonSchema = z.object({
  id: z.number().int(),
  name: z.string().nullable(),
  hidden: z.boolean(),
  faces: z.number().int(),
  photoIds: z.array(z.number().int()),
  /** The face that shows the person: its photo and box (fractions of the upright photo). */
  cover: z.object({ faceId: z.number().int(), photoId: z.number().int(), box: z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() }), aspect: z.number() }).nullable(),
});
/** Iris's colour labels (Lightroom's and digiKam's five; xmp:Label other names are not kept). */
const ColourLabelSchema = z.enum(['red', 'yellow', 'green', 'blue', 'purple']);
/** What a person said about a photo (organise/organise-store.ts). */
const MarksSchema = z.object({ favourite: z.boolean(), rating: z.number().int().min(0).max(5), rejected: z.boolean(), label: ColourLabelSchema.nullable(), hidden: z.boolean() });
/** Many photos at once: a selection (select all in a big library is large, hence the bound). */
const PhotoIds = z.array(PhotoId).min(1).max(100_000);
const KeywordText = z.string().trim().min(1).max(200);
const AlbumSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  sort: z.enum(['date', 'manual']),
  coverPhotoId: z.number().int().nullable(),
  count: z.number().int(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
const DuplicateCopySchema = z.object({
  id: z.number().int(),
  path: z.string(),
  size: z.number(),
  width: z.number().nullable(),
  height: z.number().nullable(),
  format: z.string().nullable(),
  takenAt: z.string().nullable(),
  /** Variance of the Laplacian of the 256 px thumbnail, in grey levels²: higher is sharper (null: no thumbnail yet). */
  sharpness: z.number().nullable(),
  /** How much a person or camera said about it: EXIF fields, caption, keywords, stars, albums, named faces. */
  metadata: z.number().int(),
  hidden: z.boolean(),
  /** Cosine of its CLIP embedding to the group's first photo. */
  similarity: z.number(),
});
const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/, { error: 'expected a date like 2024-07-31' });
const NoArgs = z.strictObject({});

const FolderSchema = z.object({
  id: z.number().int(),
  path: z.string(),
  addedAt: z.number(),
  scannedAt: z.number().nullable(),
  lastError: z.string().nullable(),
});

const PhotoStatusSchema = z.enum(['pending', 'ok', 'failed']);

const PhotoDetailSchema = z.object({
  id: z.number().int(),
  hash: z.string(),
  path: z.string(),
  paths: z.array(z.string()),
  size: z.number(),
  width: z.number().nullable(),
  height: z.number().nullable(),
  format: z.string().nullable(),
  takenAt: z.string().nullable(),
  takenAtSource: z.enum(['exif', 'mtime']).nullable(),
  camera: z.string().nullable(),
  lens: z.string().nullable(),
  gps: z.object({ lat: z.number(), lon: z.number(), alt: z.number().nullable() }).nullable(),
  /** Where the GPS position is, named offline ("The Rocks, Sydney, Australia 澳大利亚"); null without one. */
  place: z.string().nullable(),
  orientation: z.number().nullable(),
  status: PhotoStatusSchema,
  error: z.string().nullable(),
  /** Zero-shot tags saved for this photo (`tags.zeroShot` with save), best first. */
  tags: z.array(z.object({ label: z.string(), score: z.number() })),
  /** The caption's text (captions.get has who wrote it), null when it has none. */
  caption: z.string().nullable(),
  marks: MarksSchema,
  /** Keywords (a person's, or read from the photo's XMP), with Lightroom's hierarchy when there is one. */
  keywords: z.array(z.object({ keyword: z.string(), hierarchy: z.string().nullable() })),
  albums: z.array(z.object({ id: z.number().int(), name: z.string() })),
});

/**
 * The grid's view of the library, newest first, in columns rather than objects: 100,000 photos
 * travel as three arrays (~2 MB of JSON) instead of 100,000 objects.
 */
const TimelineSchema = z.object({
  ids: z.array(z.number().int()),
  /** Capture time as epoch ms (EXIF wall-clock read as UTC, so months group as the camera saw them), or null. */
  takenAt: z.array(z.number().nullable()),
  /** width / height after EXIF orientation, 1 when unknown (still decoding). */
  aspect: z.array(z.number()),
  /**
   * Photos still being read: they have no thumbnail yet, so the grid shows a placeholder instead
   * of asking for one (and asks when a later timeline no longer lists them).
   */
  pending: z.array(z.number().int()),
  /**
   * The photos among `ids` with a heart, stars, reject or a colour label (only those), for the
   * grid's badges; absent from an older engine.
   */
  marks: z.array(z.object({ id: z.number().int(), favourite: z.boolean(), rating: z.number().int().min(0).max(5), rejected: z.boolean(), label: ColourLabelSchema.nullable() })).optional(),
});

/** What photos may be narrowed to (search filters, and the grid while browsing). All given conditions must hold. */
const PhotoFilterFields = {
  folderId: z.number().int().positive().optional(),
  after: IsoDate.optional(),
  before: IsoDate.optional(),
  formats: z.array(z.string().regex(/^[a-z0-9]{2,8}$/)).max(16).optional(),
  /** Only photos whose camera (make and model) holds these words ("iPhone", "Canon EOS R5"): a name from library.facets or a query's chip. */
  camera: z.string().trim().min(1).max(100).optional(),
  /** Only photos taken in this place (a town, city or country as library.facets names it: "Paris", "法国"). */
  place: z.string().trim().min(1).max(100).optional(),
  /** Only photos with a face of the person of this name (library.facets lists them). */
  person: z.string().trim().min(1).max(100).optional(),  /** Only favourites (a heart). */
  favourite: z.boolean().optional(),
  /** Only photos with at least this many stars. */
  minRating: z.number().int().min(1).max(5).optional(),
  /** Only photos with this colour label. */
  label: ColourLabelSchema.optional(),
  /** true: only rejected photos; false: leave them out. */
  rejected: z.boolean().optional(),
  /** Only the photos of this album. */
  albumId: z.number().int().positive().optional(),
  /** Only photos with this keyword (library.facets lists them). */
  keyword: z.string().trim().min(1).max(200).optional(),
  /** true: only the photos hidden from the library (duplicates not kept). Otherwise hidden photos are left out. */
  hidden: z.boolean().optional(),
};

const SearchFiltersSchema = {
  ...PhotoFilterFields,
  /** How many ranked photos to answer with, relevant or not (the "show more" reserve). */
  limit: z.number().int().min(1).max(500).optional(),
  /** false: no relevance cut (every result counts as relevant). Default true. */
  cutoff: z.boolean().optional(),
};

/** How a search decided which results match (engine/search/relevance.ts). */
const SearchCutoffSchema = z.object({
  /** The score a result needed (null: nothing stood out from the library). */
  threshold: z.number().nullable(),
  /** Score of a typical unrelated photo for this query, and how much such scores vary. */
  centre: z.number(),
  spread: z.number(),
  /** How many library photos were scored to learn that. */
  sampled: z.number().int(),
});

/** A query in a language the CLIP model does not read (CJK on an English-only CLIP), with a catalog model that does (null: none does). */
const SearchNoticeSchema = z.object({
  kind: z.literal('language'),
  language: z.enum(['zh', 'ja', 'ko']),
  model: z.string(),
  suggestion: z.object({ id: z.string(), title: z.string(), installed: z.boolean() }).nullable(),
});

const SearchResultSchema = z.object({
  model: z.string(),
  /** Best first, up to `limit`. */
  results: z.array(
    z.object({
      id: z.number().int(),
      score: z.number(),
      /** The file name and caption, for a screen reader's name of the result (paths stay in the engine). */
      name: z.string().optional(),
      caption: z.string().optional(),
      /** Why it matched: what it looks like (clip), its caption, its file name, folder or camera (with the text). Empty past the cut; absent for similar photos. */
      why: z.array(z.object({ signal: z.enum(['clip', 'caption', 'text in photo', 'file name', 'folder', 'camera', 'place', 'person', 'keyword']), text: z.string().optional() })).optional(),
    }),
  ),
  /** The first `relevant` results match; the rest are ranked photos past the cut ("show more, less alike"). */
  relevant: z.number().int().min(0),
  cutoff: SearchCutoffSchema.nullable(),
  notice: SearchNoticeSchema.nullable(),
  timings: z.object({ encode_ms: z.number(), search_ms: z.number() }),
  /** Words taken from the query as filters (search.text only): capture dates ("2019", "last summer", "去年"), and the cameras and places the library knows ("iPhone", "in Paris"). */
  chips: z
    .array(
      z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('date'), label: z.string(), after: z.string(), before: z.string() }),
        // words: what was taken out of the query ("in Paris"), for moving the chip into the filters.
        z.object({ kind: z.literal('camera'), label: z.string(), value: z.string(), words: z.string() }),
        z.object({ kind: z.literal('place'), label: z.string(), value: z.string(), words: z.string() }),
        z.object({ kind: z.literal('person'), label: z.string(), value: z.string(), words: z.string() }),
        z.object({ kind: z.literal('favourite'), label: z.string(), words: z.string() }),
        z.object({ kind: z.literal('rating'), label: z.string(), words: z.string(), min: z.number().int() }),
      ]),
    )
    .optional(),
});

/**
 * Settings whose value is a folder. The desktop window may only restore their default (value
 * null): a path comes from the native dialog (settings.chooseOutputFolder), as library folders do
 * (gate.ts), since a page that could name any folder could make the engine write there.
 */
export const PATH_SETTINGS: readonly string[] = ['output-folder'];

const SettingStateSchema = z.object({
  key: z.string(),
  value: z.unknown(),
  default: z.unknown(),
  source: z.enum(['setting', 'default']),
  description: z.string(),
  problem: z.string().optional(),
});

const JobKindCountsSchema = z.object({ kind: z.string(), pending: z.number(), running: z.number(), done: z.number(), failed: z.number() });

/** Why one would choose a CLIP model (the catalog's `about`: published figures, not Iris's). */
const ModelAboutSchema = z.object({
  languages: z.enum(['en', 'zh', 'multilingual']),
  speed: z.enum(['fast', 'medium', 'slow']),
  /** ImageNet-1k zero-shot top-1 in [0, 1], null where none is published. */
  imagenetZeroShot: z.number().nullable(),
  retrieval: z.array(z.object({ dataset: z.string(), metric: z.string(), value: z.number() })),
  summary: z.string(),
  figuresSource: z.string(),
});

const ModelInfoSchema = z.object({
  id: z.string(),
  task: z.string(),
  description: z.string().nullable(),
  license: z.string().nullable(),
  /** Total bytes of its files (null when some size is not pinned). */
  bytes: z.number().nullable(),
  installed: z.boolean(),
  /** The CLIP model this library embeds with. */
  active: z.boolean(),
  /** This model is being downloaded now. */
  installing: z.boolean(),
  /** CLIP models: languages, speed class and published figures, for choosing one; else null. */
  about: ModelAboutSchema.nullable(),
  /** Face models: whether their licence allows any use ("permissive") or only non-commercial use; else null. */
  use: z.enum(['permissive', 'non-commercial', 'unstated']).nullable(),
});

const ProgressEventSchema = z.union([
  z.object({ phase: z.literal('scan'), found: z.number(), current: z.string().nullable() }),
  z.object({ phase: z.literal('read'), done: z.number(), total: z.number(), rate: z.number(), etaSeconds: z.number().nullable(), current: z.string().nullable() }),
  z.object({
    phase: z.literal('jobs'),
    kind: z.string(),
    done: z.number(),
    failed: z.number(),
    total: z.number(),
    rate: z.number(),
    etaSeconds: z.number().nullable(),
    current: z.string().nullable(),
  }),
]);

const CaptionSchema = z.object({
  text: z.string(),
  /** The model that wrote it ("person" for a caption typed from scratch). */
  model: z.string(),
  detail: z.enum(['brief', 'detailed']),
  /** A person wrote or changed it: batches never overwrite it. */
  edited: z.boolean(),
  updatedAt: z.number(),
});

const CaptionDetailSchema = z.enum(['brief', 'detailed']);
const FinishSchema = z.enum(['stop', 'length', 'cancelled']);

/**
 * Names one streamed answer: chosen by the UI (random), so the tokens that arrive as
 * `stream.token` events before the call returns can be matched to it, and `streams.cancel` can
 * stop it.
 */
const StreamId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, { error: 'expected a stream id of 8-64 letters, digits, - or _' });

/** Timings of one generated text (a caption or an answer). */
const GenerationSchema = z.object({
  finish: FinishSchema,
  tokens: z.number(),
  model: z.string(),
  firstTokenMs: z.number().nullable(),
  totalMs: z.number(),
});

const ConversationSchema = z.object({
  id: z.number().int(),
  photoId: z.number().int(),
  provider: z.enum(['local', 'endpoint']),
  model: z.string(),
  /** The first question, cut to 80 characters. */
  title: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  messageCount: z.number(),
});

const MessageSchema = z.object({
  id: z.number().int(),
  role: z.enum(['user', 'assistant']),
  text: z.string(),
  model: z.string().nullable(),
  finish: FinishSchema.nullable(),
  createdAt: z.number(),
});

const EditModeSchema = z.enum(['txt2img', 'img2img', 'canny', 'instruct']);

/** Every parameter of an edit, as stored (main/engine/edits/edit-params.ts checks them). */
const EditParamsViewSchema = z.object({
  mode: EditModeSchema,
  model: z.string(),
  controlnet: z.string().nullable(),
  scheduler: z.string(),
  seed: z.number(),
  steps: z.number(),
  guidance: z.number(),
  strength: z.number(),
  image_guidance: z.number(),
  conditioning_scale: z.number(),
  canny_low: z.number(),
  canny_high: z.number(),
  prompt: z.string(),
  negative: z.string(),
  width: z.number(),
  height: z.number(),
});

const EditSchema = z.object({
  id: z.number().int(),
  sourcePhotoId: z.number().int().nullable(),
  /** The new photo in the library (null until the library has read it). */
  outputPhotoId: z.number().int().nullable(),
  params: EditParamsViewSchema,
  createdAt: z.number(),
  durationMs: z.number(),
});

/** What the UI sends for an edit; anything left out takes the mode's default. */
const EditRequestFields = {
  mode: EditModeSchema,
  photoId: PhotoId.optional(),
  prompt: z.string().max(2000),
  negative: z.string().max(2000).optional(),
  scheduler: z.string().max(32).optional(),
  seed: z.number().int().min(0).max(0xffff_ffff).optional(),
  steps: z.number().int().min(1).max(150).optional(),
  guidance: z.number().min(0).max(30).optional(),
  strength: z.number().min(0).max(1).optional(),
  imageGuidance: z.number().min(0).max(10).optional(),
  conditioningScale: z.number().min(0).max(2).optional(),
  low: z.number().min(0).max(2000).optional(),
  high: z.number().min(0).max(2000).optional(),
  width: z.number().int().min(64).max(2048).optional(),
  height: z.number().int().min(64).max(2048).optional(),
};

// ---- calls ----

/**
 * Who answers a call. `engine`: the engine service, wherever it runs. `host`: the process that owns
 * the window or the socket (desktop main or `iris serve`), because only it can (a native dialog).
 */
type Handler = 'engine' | 'host';

interface CallSpec {
  args: z.ZodType;
  result: z.ZodType;
  handledBy: Handler;
  /**
   * True for the one call that takes a file path from the UI (typing a folder in browser mode).
   * The desktop app refuses it from the renderer: there the folder comes from the native dialog.
   */
  takesPath?: true;
  /** Not callable by any UI: main asks the engine for it to serve `iris://` (media bytes by id). */
  internal?: true;
  description: string;
}

/** Keeps each entry's literal types (handledBy, internal, the exact schemas) for the mapped types below. */
function call<const S extends CallSpec>(spec: S): S {
  return spec;
}

export const calls = {
  'app.capabilities': call({
    description: 'What this window can do: desktop (native folder dialog, external links) or browser mode.',
    handledBy: 'host',
    args: NoArgs,
    result: z.object({
      mode: z.enum(['desktop', 'browser']),
      nativeFolderDialog: z.boolean(),
      openExternal: z.boolean(),
      /** The app can keep an endpoint API key (OS keychain); browser mode takes it from IRIS_ENDPOINT_API_KEY only. */
      storesSecrets: z.boolean(),
    }),
  }),
  'app.openExternal': call({
    description: 'Opens an https link in the system browser (desktop only; the URL is checked by main).',
    handledBy: 'host',
    args: z.strictObject({ url: z.url({ protocol: /^https$/ }).max(2048) }),
    result: z.object({ opened: z.boolean() }),
  }),
  'library.status': call({
    description: 'The library at a glance: where it is, counts, the CLIP model and whether work is running.',
    handledBy: 'engine',
    args: NoArgs,
    result: z.object({
      version: z.string(),
      libraryDir: z.string(),
      modelsDir: z.string(),
      folders: z.number(),
      photos: z.object({ total: z.number(), ok: z.number(), pending: z.number(), failed: z.number() }),
      clip: z.object({ model: z.string().nullable(), installed: z.boolean(), reason: z.string().nullable(), /** The model a Download button would fetch to cure `reason`. */ missingModel: z.string().nullable(), embedded: z.number(), missing: z.number(), /** The model searches answer with now: `model`, or while `model` re-embeds after a switch, the previous one. */ serving: z.string().nullable() }),
      indexing: z.boolean(),
      paused: z.boolean(),
    }),
  }),
  'library.rescan': call({
    description: 'Scans the folders (one, or all) and works the queue in the background; progress comes as events.',
    handledBy: 'engine',
    args: z.strictObject({ folderId: z.number().int().positive().optional() }),
    result: z.object({ started: z.boolean() }),
  }),
  'folders.list': call({ description: 'The library folders.', handledBy: 'engine', args: NoArgs, result: z.array(FolderSchema) }),
  'folders.choose': call({
    description: 'Desktop: the native folder dialog, then adds and indexes the chosen folder (null when cancelled).',
    handledBy: 'host',
    args: NoArgs,
    result: FolderSchema.nullable(),
  }),
  'folders.add': call({
    description: 'Browser mode: adds a folder typed by the user, then indexes it.',
    handledBy: 'engine',
    takesPath: true,
    args: z.strictObject({ path: z.string().min(1).max(4096) }),
    result: FolderSchema,
  }),
  'folders.remove': call({
    description: 'Forgets a folder and its photos (the files on disk are never touched).',
    handledBy: 'engine',
    args: z.strictObject({ folderId: z.number().int().positive() }),
    result: z.object({ photos: z.number() }),
  }),
  'photos.timeline': call({
    description: 'Every visible photo for the grid, newest first (optionally one folder, and only those passing the filters).',
    handledBy: 'engine',
    args: z.strictObject({ folderId: z.number().int().positive().optional(), filters: z.strictObject(PhotoFilterFields).optional() }),
    result: TimelineSchema,
  }),
  'photos.names': call({
    description: "Photos' file names ('' for a photo with no file now), in the order asked: what a screen reader calls a grid cell. Asked after the grid is painted, for the photos the window does not know yet.",
    handledBy: 'engine',
    args: z.strictObject({ ids: z.array(PhotoId).max(200_000) }),
    result: z.object({ names: z.array(z.string()) }),
  }),
  'photos.get': call({ description: 'One photo: metadata, tags, caption.', handledBy: 'engine', args: z.strictObject({ id: PhotoId }), result: PhotoDetailSchema }),
  'search.text': call({
    description: 'Photos that match a sentence, best first, with optional filters; says how many stand out as matches and when the query is in a language the model does not read.',
    handledBy: 'engine',
    args: z.strictObject({
      query: z.string().trim().min(1).max(1000),
      ...SearchFiltersSchema,
      /** false: no chips, every word is searched as a word. */
      chips: z.boolean().optional(),
      /** Labels of chips the person removed: their words are searched as words. */
      literal: z.array(z.string().trim().min(1).max(100)).max(20).optional(),
    }),
    result: SearchResultSchema,
  }),
  'search.similar': call({
    description: 'Photos that look like this one, best first (itself excluded); says how many stand out as alike.',
    handledBy: 'engine',
    args: z.strictObject({ photoId: PhotoId, ...SearchFiltersSchema }),
    result: SearchResultSchema,
  }),
  'tags.zeroShot': call({
    description: 'Scores user-named labels on photos (softmax over "a photo of a {label}"); with save, keeps each photo\'s best label.',
    handledBy: 'engine',
    args: z.strictObject({
      photoIds: z.array(PhotoId).min(1).max(2000),
      labels: z.array(z.string().trim().min(1).max(100)).min(1).max(64),
      save: z.boolean().optional(),
    }),
    result: z.array(z.object({ photoId: z.number().int(), labels: z.array(z.object({ label: z.string(), probability: z.number() })) })),
  }),
  'jobs.status': call({
    description: 'The queue: per kind counts, paused or not, and the latest failures with their errors.',
    handledBy: 'engine',
    args: NoArgs,
    result: z.object({
      paused: z.boolean(),
      running: z.boolean(),
      kinds: z.array(JobKindCountsSchema),
      failures: z.array(z.object({ photoId: z.number().nullable(), path: z.string(), error: z.string() })),
    }),
  }),
  'jobs.pause': call({ description: 'Lets the jobs in flight finish and starts no more.', handledBy: 'engine', args: NoArgs, result: z.object({ paused: z.boolean() }) }),
  'jobs.resume': call({ description: 'Works the queue again.', handledBy: 'engine', args: NoArgs, result: z.object({ paused: z.boolean() }) }),
  'settings.list': call({ description: 'Every library setting with its value and source.', handledBy: 'engine', args: NoArgs, result: z.array(SettingStateSchema) }),
  'settings.set': call({
    description: 'Stores a setting (validated by its own schema); null restores the default. In the desktop app a setting that holds a path (PATH_SETTINGS) is chosen with its dialog instead.',
    handledBy: 'engine',
    args: z.strictObject({ key: z.string().min(1).max(64), value: z.string().max(256).nullable() }),
    result: SettingStateSchema,
  }),
  'settings.chooseOutputFolder': call({
    description: 'Desktop: the native folder dialog for where edits and generations are saved, then stores it (null when cancelled).',
    handledBy: 'host',
    args: NoArgs,
    result: SettingStateSchema.nullable(),
  }),
  'device.status': call({
    description: 'Execution providers (each probed), the device setting and what the last session really ran on.',
    handledBy: 'engine',
    args: NoArgs,
    result: z.object({
      setting: z.string(),
      resolvesTo: z.string().nullable(),
      providers: z.array(z.object({ name: z.string(), available: z.boolean().nullable(), reason: z.string().nullable() })),
      lastRuntime: z.object({ model: z.string(), provider: z.string(), fallbacks: z.array(z.object({ provider: z.string(), reason: z.string() })) }).nullable(),
    }),
  }),
  'models.list': call({ description: 'The catalog with what is installed.', handledBy: 'engine', args: NoArgs, result: z.array(ModelInfoSchema) }),
  'models.pause': call({
    description: 'Stops a running download where it is (models.install then fails with usage: paused); installing it again resumes from what was kept.',
    handledBy: 'engine',
    args: z.strictObject({ id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/) }),
    result: z.object({ paused: z.boolean() }),
  }),
  'models.learnSizes': call({
    description: 'Asks the server for the sizes the catalog does not pin (no download; recorded beside the models), then gives the catalog as models.list does. Offline it changes nothing.',
    handledBy: 'engine',
    args: NoArgs,
    result: z.array(ModelInfoSchema),
  }),
  'models.recommended': call({
    description: 'The models to set this library up with on this machine (search, captions, questions), each the precision the device runs best, with the setting that selects it.',
    handledBy: 'engine',
    args: NoArgs,
    result: z.object({
      /** Where models would run now (the device probe), and whether that is a GPU. */
      provider: z.string(),
      gpu: z.boolean(),
      models: z.array(
        z.object({
          id: z.string(),
          task: z.enum(['clip', 'caption', 'vqa']),
          title: z.string(),
          /** Total bytes of its files (null while some size is not pinned). */
          bytes: z.number().nullable(),
          installed: z.boolean(),
          /** The library setting that selects it, and whether it already does. */
          setting: z.enum(['clip-model', 'caption-model', 'ask-model']),
          selected: z.boolean(),
        }),
      ),
    }),
  }),
  'models.install': call({
    description: 'Downloads and verifies a model (resumable); progress comes as models.progress events.',
    handledBy: 'engine',
    args: z.strictObject({ id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/) }),
    result: z.object({ downloaded: z.array(z.string()), present: z.array(z.string()) }),
  }),
  'models.verify': call({
    description: 'Re-hashes an installed model\'s files against the catalog.',
    handledBy: 'engine',
    args: z.strictObject({ id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/) }),
    result: z.object({ files: z.array(z.object({ path: z.string(), state: z.string() })) }),
  }),
  'map.layout': call({
    description: 'The library laid out in 2-D by similarity of its CLIP embeddings (UMAP), in [0, 1]², cached until the embeddings change.',
    handledBy: 'engine',
    args: NoArgs,
    result: z.object({ model: z.string().nullable(), points: z.array(z.object({ id: z.number().int(), x: z.number(), y: z.number() })) }),
  }),
  'places.list': call({
    description: 'Every visible photo with a GPS position: where it is and its place name, for the map of photos.',
    handledBy: 'engine',
    args: NoArgs,
    result: z.array(z.object({ id: z.number().int(), lat: z.number(), lon: z.number(), place: z.string().nullable() })),
  }),
  'library.facets': call({
    description: 'The cameras, places and named people of the library\'s photos, with how many photos each, most first: what the camera, place and person filters offer.',
    handledBy: 'engine',
    args: NoArgs,
    result: z.object({
      cameras: z.array(z.object({ name: z.string(), count: z.number().int() })),
      /** kind: 'country', or 'area' for a town, the city around it or the region (state, province) it is in. */
      places: z.array(z.object({ name: z.string(), count: z.number().int(), kind: z.enum(['area', 'country']) })),
      /** Named people, with how many photos each. */
      people: z.array(z.object({ name: z.string(), count: z.number().int() })),
      /** Keywords, with how many photos each. */
      keywords: z.array(z.object({ name: z.string(), count: z.number().int() })),
    }),
  }),
  'photos.mark': call({
    description: 'Sets a heart, stars (0–5), reject or a colour label (null: none) on photos; the rest of their marks stay.',
    handledBy: 'engine',
    args: z.strictObject({ photoIds: PhotoIds, favourite: z.boolean().optional(), rating: z.number().int().min(0).max(5).optional(), rejected: z.boolean().optional(), label: ColourLabelSchema.nullable().optional() }),
    result: z.object({ changed: z.number().int() }),
  }),
  'photos.hide': call({
    description: 'Hides photos from the library and search (duplicates not kept), or shows them again. Files are never touched.',
    handledBy: 'engine',
    args: z.strictObject({ photoIds: PhotoIds, hidden: z.boolean() }),
    result: z.object({ changed: z.number().int() }),
  }),
  'photos.keywords': call({
    description: 'Adds and removes keywords on photos.',
    handledBy: 'engine',
    args: z.strictObject({ photoIds: PhotoIds, add: z.array(KeywordText).max(100).optional(), remove: z.array(KeywordText).max(100).optional() }),
    result: z.object({ changed: z.number().int() }),
  }),
  'photos.writeSidecars': call({
    description: "Writes photos' stars, reject, colour label and keywords to their XMP sidecars, merged without loss (everything else in a sidecar is kept).",
    handledBy: 'engine',
    args: z.strictObject({ photoIds: PhotoIds }),
    result: z.object({ created: z.number().int(), updated: z.number().int(), unchanged: z.number().int(), failed: z.array(z.object({ photoId: z.number().int(), error: z.string() })) }),
  }),
  'photos.showInFolder': call({
    description: "Desktop: shows the photo's file selected in the system file manager (the page names the photo, never a path).",
    handledBy: 'host',
    args: z.strictObject({ id: PhotoId }),
    result: z.object({ shown: z.boolean() }),
  }),
  'photos.export': call({
    description: 'Desktop: the native folder dialog, then copies the photos there (originals, or JPEG at most maxEdge px); null when cancelled.',
    handledBy: 'host',
    args: z.strictObject({ photoIds: PhotoIds, as: z.enum(['original', 'jpeg']), maxEdge: z.number().int().min(64).max(20_000).optional(), quality: z.number().int().min(50).max(100).optional() }),
    result: z.object({ folder: z.string(), written: z.array(z.string()), failed: z.array(z.object({ photoId: z.number().int(), error: z.string() })) }).nullable(),
  }),
  'photos.exportTo': call({
    description: 'Browser mode: copies the photos into a typed folder (originals, or JPEG at most maxEdge px); never over an existing file.',
    handledBy: 'engine',
    takesPath: true,
    args: z.strictObject({ photoIds: PhotoIds, folder: z.string().min(1).max(4096), as: z.enum(['original', 'jpeg']), maxEdge: z.number().int().min(64).max(20_000).optional(), quality: z.number().int().min(50).max(100).optional() }),
    result: z.object({ folder: z.string(), written: z.array(z.string()), failed: z.array(z.object({ photoId: z.number().int(), error: z.string() })) }),
  }),
  'albums.list': call({ description: 'The albums, by name, with their photo counts and covers.', handledBy: 'engine', args: NoArgs, result: z.array(AlbumSchema) }),
  'albums.create': call({
    description: 'A new album, with these photos in it if given.',
    handledBy: 'engine',
    args: z.strictObject({ name: z.string().trim().min(1).max(200), photoIds: z.array(PhotoId).max(100_000).optional() }),
    result: AlbumSchema,
  }),
  'albums.update': call({
    description: "Renames an album, sorts it by date or by hand, or chooses its cover (null: its first photo).",
    handledBy: 'engine',
    args: z.strictObject({ id: z.number().int().positive(), name: z.string().trim().min(1).max(200).optional(), sort: z.enum(['date', 'manual']).optional(), coverPhotoId: PhotoId.nullable().optional() }),
    result: AlbumSchema,
  }),
  'albums.delete': call({ description: 'Deletes an album; its photos stay in the library.', handledBy: 'engine', args: z.strictObject({ id: z.number().int().positive() }), result: z.object({ deleted: z.boolean() }) }),
  'albums.add': call({
    description: 'Adds photos to an album (at the end; those already in it stay).',
    handledBy: 'engine',
    args: z.strictObject({ id: z.number().int().positive(), photoIds: PhotoIds }),
    result: z.object({ added: z.number().int() }),
  }),
  'albums.remove': call({
    description: 'Takes photos out of an album (they stay in the library).',
    handledBy: 'engine',
    args: z.strictObject({ id: z.number().int().positive(), photoIds: PhotoIds }),
    result: z.object({ removed: z.number().int() }),
  }),
  'albums.move': call({
    description: 'Moves photos to stand before another photo of the album (null: at the end); the album is then sorted by hand.',
    handledBy: 'engine',
    args: z.strictObject({ id: z.number().int().positive(), photoIds: z.array(PhotoId).min(1).max(10_000), beforeId: PhotoId.nullable() }),
    result: z.object({ moved: z.boolean() }),
  }),
  'albums.photos': call({
    description: "An album's photos for the grid, in the album's order.",
    handledBy: 'engine',
    args: z.strictObject({ id: z.number().int().positive() }),
    result: TimelineSchema,
  }),
  'duplicates.groups': call({
    description: 'Near-duplicate groups (CLIP cosine ≥ threshold) with what tells the copies apart, and which copy each rule would keep: the largest, the sharpest, the one with the most metadata.',
    handledBy: 'engine',
    args: z.strictObject({ threshold: z.number().min(0.8).max(1).optional(), includeHidden: z.boolean().optional() }),
    result: z.object({
      threshold: z.number(),
      groups: z.array(z.object({ photos: z.array(DuplicateCopySchema), keep: z.object({ largest: z.number().int(), sharpest: z.number().int(), metadata: z.number().int() }) })),
    }),
  }),
  'people.list': call({
    description: 'The people faces were grouped into: name, how many faces, their photos (ids, newest first), the face that shows them; named first, then by photo count.',
    handledBy: 'engine',
    args: z.strictObject({ hidden: z.boolean().optional() }),
    result: z.array(PersonSchema),
  }),
  'people.update': call({
    description: 'Names a person (null takes the name away), hides or shows them, or chooses the face that shows them.',
    handledBy: 'engine',
    args: z.strictObject({ id: PersonId, name: z.string().trim().max(100).nullable().optional(), hidden: z.boolean().optional(), coverFaceId: FaceId.optional() }),
    result: z.object({ id: z.number().int() }),
  }),
  'people.merge': call({
    description: 'One person from several: the faces of the others join the first, which keeps its name (or takes theirs).',
    handledBy: 'engine',
    args: z.strictObject({ into: PersonId, others: z.array(PersonId).min(1).max(100) }),
    result: z.object({ id: z.number().int() }),
  }),
  'people.split': call({
    description: 'Takes faces out of a person into a new person (clustering leaves them where the person put them).',
    handledBy: 'engine',
    args: z.strictObject({ id: PersonId, faceIds: z.array(FaceId).min(1).max(1000), name: z.string().trim().min(1).max(100).optional() }),
    result: z.object({ id: z.number().int() }),
  }),
  'faces.ofPhoto': call({
    description: 'The faces in a photo: where (fractions of the upright photo), whose, and whether drawn by hand.',
    handledBy: 'engine',
    args: z.strictObject({ photoId: PhotoId }),
    result: z.array(z.object({ id: z.number().int(), box: z.object({ x: z.number().min(0).max(1), y: z.number().min(0).max(1), w: z.number().min(0).max(1), h: z.number().min(0).max(1) }), score: z.number(), personId: z.number().int().nullable(), personName: z.string().nullable(), manual: z.boolean() })),
  }),
  'faces.assign': call({
    description: 'Moves a face to a person, to a new person (newPerson), or to nobody (null); or marks it "not a face". The person\'s choice: clustering never changes it.',
    handledBy: 'engine',
    args: z.strictObject({ faceId: FaceId, personId: PersonId.nullable().optional(), newPerson: z.boolean().optional(), notFace: z.boolean().optional() }),
    result: z.object({ personId: z.number().int().nullable() }),
  }),
  'faces.draw': call({
    description: 'A face box drawn by hand where the detector missed one (fractions of the upright photo), given to a person or nobody; recognised says whether it could be embedded.',
    handledBy: 'engine',
    args: z.strictObject({ photoId: PhotoId, box: z.object({ x: z.number().min(0).max(1), y: z.number().min(0).max(1), w: z.number().min(0).max(1), h: z.number().min(0).max(1) }).refine((box) => box.w > 0 && box.h > 0 && box.x + box.w <= 1.0001 && box.y + box.h <= 1.0001, { error: 'the box must lie inside the photo' }), personId: PersonId.nullable() }),
    result: z.object({ id: z.number().int(), recognised: z.boolean() }),
  }),
  'faces.status': call({
    description: 'Face recognition here: on or off, the face model (installed or why not, its licence class), how many faces and people.',
    handledBy: 'engine',
    args: NoArgs,
    result: z.object({ enabled: z.boolean(), model: z.string().nullable(), installed: z.boolean(), reason: z.string().nullable(), use: z.enum(['permissive', 'non-commercial', 'unstated']).nullable(), faces: z.number().int(), people: z.number().int() }),
  }),
  'faces.forget': call({
    description: 'Deletes every face and person found (names too): "Forget all faces". Faces are found again while face recognition is on.',
    handledBy: 'engine',
    args: NoArgs,
    result: z.object({ faces: z.number().int(), people: z.number().int() }),
  }),
  'captions.status': call({
    description: 'The captioning model this library uses (installed or why not), the default detail, and how many photos have captions.',
    handledBy: 'engine',
    args: NoArgs,
    result: z.object({
      model: z.string().nullable(),
      installed: z.boolean(),
      reason: z.string().nullable(),
      /** The model a Download button would fetch to cure `reason`. */
      missingModel: z.string().nullable(),
      detail: CaptionDetailSchema,
      /** The model can also read the text in a photo (captions.readText). */
      readsText: z.boolean(),
      captioned: z.number(),
      edited: z.number(),
      photos: z.number(),
    }),
  }),
  'captions.get': call({ description: "One photo's caption (null when it has none).", handledBy: 'engine', args: z.strictObject({ photoId: PhotoId }), result: CaptionSchema.nullable() }),
  'captions.textInPhoto': call({
    description: 'The text kept from reading this photo (the read-text setting), or null when it has not been read; text "" means it has none.',
    handledBy: 'engine',
    args: z.strictObject({ photoId: PhotoId }),
    result: z.object({ text: z.string(), model: z.string(), updatedAt: z.number() }).nullable(),
  }),
  'captions.generate': call({
    description:
      "Captions one photo now, streaming the text as stream.token events, and stores it. A person's caption is kept unless replaceEdited (the UI asks first).",
    handledBy: 'engine',
    args: z.strictObject({ photoId: PhotoId, streamId: StreamId, detail: CaptionDetailSchema.optional(), replaceEdited: z.boolean().optional() }),
    result: z.object({ caption: CaptionSchema.nullable(), text: z.string(), generation: GenerationSchema }),
  }),
  'captions.readText': call({
    description: "Reads the text in a photo (signs, labels, pages) with the captioning model's OCR task, streamed as stream.token events; with the read-text setting on it is stored and searchable (stored: true).",
    handledBy: 'engine',
    args: z.strictObject({ photoId: PhotoId, streamId: StreamId }),
    result: z.object({ text: z.string(), stored: z.boolean(), generation: GenerationSchema }),
  }),
  'captions.save': call({
    description: "Stores a person's caption (never overwritten by a batch); empty text removes the caption.",
    handledBy: 'engine',
    args: z.strictObject({ photoId: PhotoId, text: z.string().max(4000) }),
    result: CaptionSchema.nullable(),
  }),
  'captions.queue': call({
    description: "Queues caption jobs (all readable photos, or the ids given) and works the queue; a person's caption is never replaced.",
    handledBy: 'engine',
    args: z.strictObject({
      photoIds: z.array(PhotoId).min(1).max(100_000).optional(),
      detail: CaptionDetailSchema.optional(),
      /** Caption again photos that already have a generated caption. */
      redo: z.boolean().optional(),
    }),
    result: z.object({ model: z.string(), detail: CaptionDetailSchema, queued: z.number(), keptEdited: z.number() }),
  }),
  'ask.status': call({
    description: 'Who answers questions in this library (local model or endpoint), whether it can, and where the endpoint key comes from.',
    handledBy: 'engine',
    args: NoArgs,
    result: z.object({
      provider: z.enum(['local', 'endpoint']),
      model: z.string().nullable(),
      ready: z.boolean(),
      reason: z.string().nullable(),
      /** The model a Download button would fetch to cure `reason`. */
      missingModel: z.string().nullable(),
      /** `app`: stored by the desktop app (OS keychain); `environment`: IRIS_ENDPOINT_API_KEY; `none`. */
      endpointKey: z.enum(['app', 'environment', 'none']),
    }),
  }),
  'ask.send': call({
    description: 'Asks a question about a photo (a new conversation, or continuing one); the answer streams as stream.token events, then both turns are stored.',
    handledBy: 'engine',
    args: z.strictObject({ photoId: PhotoId, question: z.string().trim().min(1).max(4000), streamId: StreamId, conversationId: z.number().int().positive().optional() }),
    result: z.object({ conversation: ConversationSchema, text: z.string(), generation: GenerationSchema }),
  }),
  'streams.cancel': call({
    description: 'Stops a running caption, answer or edit (by its stream or edit id); a caption or answer then returns the text so far with finish "cancelled", an edit returns cancelled.',
    handledBy: 'engine',
    args: z.strictObject({ streamId: StreamId }),
    result: z.object({ cancelled: z.boolean() }),
  }),
  'conversations.list': call({ description: "A photo's conversations, newest first.", handledBy: 'engine', args: z.strictObject({ photoId: PhotoId }), result: z.array(ConversationSchema) }),
  'conversations.get': call({
    description: 'One conversation with its messages in order.',
    handledBy: 'engine',
    args: z.strictObject({ id: z.number().int().positive() }),
    result: z.object({ conversation: ConversationSchema, messages: z.array(MessageSchema) }),
  }),
  'conversations.delete': call({ description: 'Forgets a conversation.', handledBy: 'engine', args: z.strictObject({ id: z.number().int().positive() }), result: z.object({ deleted: z.boolean() }) }),
  'edits.options': call({
    description: 'For an edit form: per mode, the model it would use (or why none can run), and the full default parameters for a photo (its aspect kept).',
    handledBy: 'engine',
    args: z.strictObject({ photoId: PhotoId.optional() }),
    result: z.object({
      schedulers: z.array(z.string()),
      modes: z.array(z.object({ mode: EditModeSchema, ready: z.boolean(), reason: z.string().nullable(), missingModel: z.string().nullable(), defaults: EditParamsViewSchema.nullable() })),
    }),
  }),
  'edits.edges': call({
    description: 'The canny edge map a canny edit of this photo would follow (PNG as a data: URL), shown before generating.',
    handledBy: 'engine',
    args: z.strictObject({ photoId: PhotoId, width: z.number().int().min(64).max(2048), height: z.number().int().min(64).max(2048), low: z.number().min(0).max(2000), high: z.number().min(0).max(2000) }),
    result: z.object({ image: z.string() }),
  }),
  'edits.run': call({
    description:
      'Runs an edit or generation (progress and previews as edit.preview events under editId; streams.cancel with the editId stops it within one step). The result is a new photo in the library.',
    handledBy: 'engine',
    args: z.strictObject({ editId: StreamId, ...EditRequestFields }),
    result: z.union([z.object({ cancelled: z.literal(true), stepsRun: z.number() }), z.object({ cancelled: z.literal(false), edit: EditSchema })]),
  }),
  'edits.list': call({ description: "A photo's edits, newest first, with every parameter (for \"use again\").", handledBy: 'engine', args: z.strictObject({ photoId: PhotoId }), result: z.array(EditSchema) }),
  'endpoint.setKey': call({
    description: "Desktop: keeps the endpoint's API key encrypted with the OS keychain (Electron safeStorage), never in the library; null forgets it.",
    handledBy: 'host',
    args: z.strictObject({ key: z.string().trim().min(1).max(4096).nullable() }),
    result: z.object({ stored: z.boolean() }),
  }),
  'ask.useKey': call({
    description: 'The desktop app hands the engine the endpoint key it keeps (held in memory only).',
    handledBy: 'engine',
    internal: true,
    args: z.strictObject({ key: z.string().min(1).max(4096).nullable() }),
    result: z.object({ ok: z.boolean() }),
  }),
  'media.read': call({
    description: 'The bytes behind iris://thumb/<id>, iris://preview/<id> and iris://photo/<id> (by id, never by path).',
    handledBy: 'engine',
    internal: true,
    args: z.strictObject({ kind: z.enum(['thumb', 'preview', 'photo']), id: PhotoId }),
    result: z.object({ mime: z.string(), bytes: z.custom<Uint8Array>((value) => value instanceof Uint8Array, { error: 'expected bytes' }) }),
  }),
  'map.tile': call({
    description: 'The bytes behind iris://tile/<z>/<x>/<y>: a map tile fetched by the engine (only with the map-tiles setting on) and kept in the library.',
    handledBy: 'engine',
    internal: true,
    args: z
      .strictObject({ z: z.number().int().min(0).max(19), x: z.number().int().min(0), y: z.number().int().min(0) })
      .refine((tile) => tile.x < 2 ** tile.z && tile.y < 2 ** tile.z, { error: 'no such tile at that zoom' }),
    result: z.object({ mime: z.string(), bytes: z.custom<Uint8Array>((value) => value instanceof Uint8Array, { error: 'expected bytes' }) }),
  }),
} as const;

export type CallName = keyof typeof calls;
export type CallArgs<N extends CallName> = z.input<(typeof calls)[N]['args']>;
export type CallResult<N extends CallName> = z.output<(typeof calls)[N]['result']>;

/** The calls a UI may make (everything but the internal ones). */
export const uiCallNames = (Object.keys(calls) as CallName[]).filter((name) => !(calls[name] as { internal?: true }).internal);
export type UiCallName = { [N in CallName]: (typeof calls)[N] extends { internal: true } ? never : N }[CallName];
/** The calls the engine service answers (the rest are answered by the host: desktop main or `iris serve`). */
export type EngineCallName = { [N in CallName]: (typeof calls)[N] extends { handledBy: 'engine' } ? N : never }[CallName];
export type HostCallName = Exclude<CallName, EngineCallName>;
/** Arguments after validation (defaults applied, strings trimmed). */
export type ParsedArgs<N extends CallName> = z.output<(typeof calls)[N]['args']>;

// ---- events ----

const events = {
  /** Scanning, reading and job progress. */
  progress: ProgressEventSchema,
  /** A file in a watched folder was added, changed, moved, removed, or could not be read. */
  photo: z.object({ event: z.enum(['added', 'changed', 'moved', 'removed', 'failed']), path: z.string(), photoId: z.number().nullable(), from: z.string().optional(), error: z.string().optional() }),
  /** Something the user should know (a folder that cannot be read, a model that cannot run). */
  problem: z.object({ scope: z.string(), path: z.string().nullable(), message: z.string() }),
  /** The queue started, finished, paused or resumed. */
  'jobs.state': z.object({ running: z.boolean(), paused: z.boolean() }),
  /** Model download progress. */
  'models.progress': z.object({ id: z.string(), file: z.string(), received: z.number(), total: z.number().nullable(), done: z.boolean() }),
  /** The engine process: up, restarting after a crash (the desktop app restarts it), or given up. */
  'engine.state': z.object({ state: z.enum(['ready', 'restarting', 'failed']), message: z.string().nullable() }),
  /** The next piece of a caption or answer being generated (`streamId` as given to its call), in order. */
  'stream.token': z.object({ streamId: z.string(), text: z.string() }),
  /** A caption was stored (a batch job, or a generate call). */
  caption: z.object({ photoId: z.number().int(), text: z.string(), model: z.string() }),
  /** A running edit's progress: each step, with an approximate preview (PNG as a data: URL) every few steps. */
  'edit.preview': z.object({ editId: z.string(), step: z.number(), steps: z.number(), image: z.string().nullable() }),
} as const;

export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;
export const eventNames = Object.keys(events) as EventName[];

/**
 * `window.iris`: what the preload exposes and what the browser-mode client implements. Calls are
 * one generic function (each name checked against the contract) rather than one property each, so
 * the bridge has exactly one shape to audit.
 */
export interface IrisApi {
  readonly calls: readonly UiCallName[];
  /**
   * Rejects with something CallError-shaped: `.code` and `.message` are always there, but it is
   * not always an Error (see CallError: errors cross Electron as plain objects).
   */
  call<N extends UiCallName>(name: N, args: CallArgs<N>): Promise<CallResult<N>>;
  /** Subscribes to an event stream; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/**
 * A call refused or failed, as every transport reports it.
 *
 * Errors cross Electron as plain objects. Electron keeps only the message of an Error that
 * crosses a process or the page's boundary: ipcMain.handle rethrows a new Error prefixed "Error
 * invoking remote method", and contextBridge rebuilds an Error from its message alone, so `code`
 * would be lost both ways. So the main process returns failures as values (IpcAnswer) and the
 * preload rejects with a plain `{ name, code, message }`; the page reads `.code` and `.message`
 * and never relies on `instanceof Error`.
 */
export interface CallError {
  /**
   * `invalid-args`, `unknown-call`, `forbidden` (not from this window / not from a UI), `unavailable`
   * (engine restarting, connection lost), `not-found` (no such photo or thumbnail), `usage` (a clear
   * user error: no model installed, folder not found), `internal` (a bug: the message says what).
   */
  code: 'invalid-args' | 'unknown-call' | 'forbidden' | 'unavailable' | 'not-found' | 'usage' | 'internal';
  message: string;
  /** A catalog model whose download cures this failure (a window offers a Download button for it). */
  model?: string;
}

/** Validates a call's arguments; the error message names the call and the offending field. */
export function parseCallArgs<N extends CallName>(name: N, args: unknown): { ok: true; value: z.output<(typeof calls)[N]['args']> } | { ok: false; error: CallError } {
  const spec = calls[name];
  const parsed = spec.args.safeParse(args ?? {});
  if (parsed.success) return { ok: true, value: parsed.data as z.output<(typeof calls)[N]['args']> };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` (${issue.path.join('.')})` : '';
  return { ok: false, error: { code: 'invalid-args', message: `${name}: ${issue?.message ?? 'invalid arguments'}${where}` } };
}

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(calls, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}
