import { z } from 'zod';
import { UsageError } from './errors.js';
import { DEVICES, type Device, parseDevice } from './runtime/devices.js';

/**
 * Library settings: user choices stored in the library's `settings` table (so they travel with
 * the library), each declared once here with a zod schema that validates the text a user types
 * and gives the value the engine uses. `iris settings` lists exactly this registry.
 *
 * Adding a setting = one entry in SETTINGS. Keep schemas context-free (they run on the raw text,
 * with no engine at hand); checks that need the engine, such as "is this model installed?", belong
 * to the code that uses the value. Internal keys the engine stores in the same table (runtime.last)
 * are not settings and are not listed.
 */

interface SettingDefinition<S extends z.ZodType<unknown, string> = z.ZodType<unknown, string>> {
  description: string;
  /** Parses the stored or typed text; its error message is shown to the user as is. */
  schema: S;
  default: z.output<S>;
}

function defineSetting<S extends z.ZodType<unknown, string>>(definition: SettingDefinition<S>): SettingDefinition<S> {
  return definition;
}

const SETTINGS = {
  device: defineSetting({
    description: `where models run: ${DEVICES.join(', ')} (auto tries the accelerators this machine has, then cpu)`,
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(DEVICES, { error: `expected one of ${DEVICES.join(', ')}` })),
    default: 'auto',
  }),
  'clip-model': defineSetting({
    description: 'the CLIP model that embeds photos and reads searches (an id from `iris models list`; default: the catalog\'s default)',
    schema: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9.-]*$/, { error: 'expected a model id such as clip-vit-b32' }),
    default: '',
  }),
  'caption-model': defineSetting({
    description: "the captioning model (an id from `iris models list`, task caption; default: the catalog's default)",
    schema: modelId('florence-2-base-ft'),
    default: '',
  }),
  'read-text': defineSetting({
    description: 'read the text in every photo (signs, documents, screenshots) in the background with the captioning model, and keep it searchable: on or off',
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['on', 'off'], { error: 'expected on or off' })),
    default: 'off',
  }),
  'map-tiles': defineSetting({
    description: "draw the map of photos over online map tiles: off (the world outline that comes with Iris; nothing is fetched) or openstreetmap (tiles from tile.openstreetmap.org, fetched by Iris and kept in the library; that server learns which areas you look at)",
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['off', 'openstreetmap'], { error: 'expected off or openstreetmap' })),
    default: 'off',
  }),
  faces: defineSetting({
    description: 'find faces and group them into people, in the background, on this machine only: on or off (off finds no new faces; `iris people forget` deletes those found)',
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['on', 'off'], { error: 'expected on or off' })),
    default: 'on',
  }),
  'face-model': defineSetting({
    description: "the face model (detector and recognizer: an id from `iris models list`, task faces; default: the catalog's default)",
    schema: modelId('yunet-sface'),
    default: '',
  }),
  'caption-detail': defineSetting({
    description: 'how much a batch caption says: brief (one sentence) or detailed (a few)',
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['brief', 'detailed'], { error: 'expected brief or detailed' })),
    default: 'brief',
  }),
  'ask-provider': defineSetting({
    description: 'who answers questions about a photo: local (a model on this machine) or endpoint (an OpenAI-compatible server)',
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['local', 'endpoint'], { error: 'expected local or endpoint' })),
    default: 'local',
  }),
  'ask-model': defineSetting({
    description: "the local vision-language model (an id from `iris models list`, task vqa; default: the catalog's default)",
    schema: modelId('smolvlm-256m-instruct'),
    default: '',
  }),
  'endpoint-url': defineSetting({
    description: 'base URL of an OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (the API key is never stored here: IRIS_ENDPOINT_API_KEY, or the app keeps it with the OS keychain)',
    schema: z
      .string()
      .trim()
      .refine((text) => text === '' || /^https?:\/\/\S+$/.test(text), { error: 'expected an http(s) URL such as http://localhost:11434/v1' }),
    default: '',
  }),
  'endpoint-model': defineSetting({
    description: 'the model name the endpoint should use (e.g. gpt-4o-mini, llava, qwen2.5vl)',
    schema: z.string().trim().max(200),
    default: '',
  }),
  'endpoint-image-edge': defineSetting({
    description: 'long edge, in pixels, of the photo sent to an endpoint (smaller = cheaper and faster, larger = more detail)',
    schema: z
      .string()
      .trim()
      .regex(/^\d+$/, { error: 'expected a whole number of pixels' })
      .transform(Number)
      .pipe(z.number().min(256, { error: 'at least 256' }).max(4096, { error: 'at most 4096' })),
    default: 1024,
  }),
  'output-folder': defineSetting({
    description: 'where edits and generations are saved (new files, never over a photo; the folder joins the library). Default: Pictures/Iris in your home folder. In the desktop app it is chosen with a folder dialog',
    schema: z
      .string()
      .trim()
      .refine((text) => text === '' || text.startsWith('/') || /^[A-Za-z]:[\\/]/.test(text), { error: 'expected an absolute folder path' }),
    default: '',
  }),
};

/** A catalog model id setting (empty = the catalog's default). */
function modelId(example: string) {
  return z
    .string()
    .trim()
    .regex(/^([a-z0-9][a-z0-9.-]*)?$/, { error: `expected a model id such as ${example}` });
}

export type SettingKey = keyof typeof SETTINGS;
export type SettingValue<K extends SettingKey> = z.output<(typeof SETTINGS)[K]['schema']>;

/** The part of LibraryStore settings need (lets tests use a Map). */
export interface SettingsStore {
  getSetting(key: string): string | undefined;
  setSetting(key: string, value: string | null): void;
}

export interface SettingState {
  key: SettingKey;
  value: unknown;
  default: unknown;
  /** `setting` when the library stores a valid value, else `default`. */
  source: 'setting' | 'default';
  description: string;
  /** A stored value that no longer validates (hand-edited, or from another version): it is ignored. */
  problem?: string;
}

function settingKeys(): SettingKey[] {
  return Object.keys(SETTINGS) as SettingKey[];
}

export function parseSettingKey(key: string): SettingKey {
  if (Object.hasOwn(SETTINGS, key)) return key as SettingKey;
  throw new UsageError(`unknown setting "${key}": the settings are ${settingKeys().join(', ')}`);
}

function validate<K extends SettingKey>(key: K, text: string): { ok: true; value: SettingValue<K> } | { ok: false; message: string } {
  const parsed = SETTINGS[key].schema.safeParse(text);
  if (parsed.success) return { ok: true, value: parsed.data as SettingValue<K> };
  return { ok: false, message: parsed.error.issues.map((issue) => issue.message).join('; ') };
}

/** Validates `text` for `key`; a bad value is a UsageError (exit 2) naming the key and what it accepts. */
export function parseSettingValue<K extends SettingKey>(key: K, text: string): SettingValue<K> {
  const result = validate(key, text);
  if (!result.ok) throw new UsageError(`invalid value "${text}" for setting ${key}: ${result.message}`);
  return result.value;
}

export function describeSetting(store: SettingsStore, key: SettingKey): SettingState {
  const definition = SETTINGS[key];
  const base = { key, default: definition.default, description: definition.description };
  const stored = store.getSetting(key);
  if (stored === undefined) return { ...base, value: definition.default, source: 'default' };
  const result = validate(key, stored);
  if (result.ok) return { ...base, value: result.value, source: 'setting' };
  return { ...base, value: definition.default, source: 'default', problem: `stored value "${stored}" is ignored: ${result.message}` };
}

/** The value in effect: the stored one when valid, else the default. */
export function getSettingValue<K extends SettingKey>(store: SettingsStore, key: K): SettingValue<K> {
  return describeSetting(store, key).value as SettingValue<K>;
}

export function listSettings(store: SettingsStore): SettingState[] {
  return settingKeys().map((key) => describeSetting(store, key));
}

/** Validates and stores; the stored text is the canonical form ("CUDA " is stored as "cuda"). */
export function writeSetting<K extends SettingKey>(store: SettingsStore, key: K, text: string): SettingValue<K> {
  const value = parseSettingValue(key, text);
  store.setSetting(key, String(value));
  return value;
}

/** Back to the default. Returns whether a value was stored. */
export function clearSetting(store: SettingsStore, key: SettingKey): boolean {
  const had = store.getSetting(key) !== undefined;
  store.setSetting(key, null);
  return had;
}

/** Where the device in effect came from. */
export type DeviceSource = 'cli' | 'setting' | 'default';

/** `--device` / IRIS_DEVICE wins, then the library setting, then auto. A bad CLI value is a UsageError. */
export function resolveDeviceWithSource(cliValue: string | undefined, store: SettingsStore): { device: Device; source: DeviceSource } {
  if (cliValue !== undefined && cliValue !== '') return { device: parseDevice(cliValue), source: 'cli' };
  const state = describeSetting(store, 'device');
  return { device: state.value as Device, source: state.source };
}

export function resolveDevice(cliValue: string | undefined, store: SettingsStore): Device {
  return resolveDeviceWithSource(cliValue, store).device;
}
