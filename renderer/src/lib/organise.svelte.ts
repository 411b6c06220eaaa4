/**
 * What a person does to photos from the selection bar, a photo's context menu, the keyboard and the
 * viewer: hearts, stars, reject, colour labels, keywords, albums, hiding, XMP sidecars. Every action
 * goes through here so each one tells the same things afterwards: the marks the grid shows, a
 * notice where the result is not visible at once, and a reload of what the screen shows (the grid
 * and the search), so a filter such as "5 stars" or "hide rejected" stays true.
 *
 * Iris never changes a photo file: marks, keywords and albums live in the library; sidecars are
 * written only on request (and merged, never replacing what other apps wrote).
 */
import type { AppStore } from './app.svelte.js';
import { errorMessage } from './errors.js';
import { t } from './prefs.svelte.js';
import type { CallArgs, CallResult, PhotoDetail } from './types.js';

export type ColourLabel = NonNullable<PhotoDetail['marks']['label']>;
export const COLOUR_LABELS: readonly ColourLabel[] = ['red', 'yellow', 'green', 'blue', 'purple'];
/** What the grid shows on a cell (hidden photos are not in the grid at all). */
export type MarkBadge = Omit<PhotoDetail['marks'], 'hidden'>;
export type MarkChange = Omit<CallArgs<'photos.mark'>, 'photoIds'>;
/** The timeline's sparse list of marked photos (absent from an engine that does not send it). */
type TimelineMarks = NonNullable<CallResult<'photos.timeline'>['marks']>;

export interface PhotoMenu {
  photoId: number;
  x: number;
  y: number;
  returnFocus: HTMLElement | null;
  /** Opens the photo in the viewer with its grid's neighbours (null: the menu offers no Open). */
  open: (() => void) | null;
}

export interface OrganiseDialog {
  kind: 'new-album' | 'keywords' | 'hide' | 'export';
  photoIds: number[];
}

/** How the colour labels look (the colours Lightroom and digiKam use, a little softened). */
export const LABEL_COLOURS: Record<ColourLabel, string> = { red: '#e5484d', yellow: '#f0c000', green: '#30a46c', blue: '#3e8ed0', purple: '#8e4ec6' };

export const NO_MARKS: MarkBadge = { favourite: false, rating: 0, rejected: false, label: null };

/** The i18n key of a colour label's name. */
export function labelKey(label: ColourLabel): 'organise.label.red' | 'organise.label.yellow' | 'organise.label.green' | 'organise.label.blue' | 'organise.label.purple' {
  return label === 'red' ? 'organise.label.red' : label === 'yellow' ? 'organise.label.yellow' : label === 'green' ? 'organise.label.green' : label === 'blue' ? 'organise.label.blue' : 'organise.label.purple';
}

/** A mark change in words ("5 stars", "Favourite", "Label: Red"), for notices. */
export function describeChange(change: MarkChange): string {
  const parts: string[] = [];
  if (change.favourite !== undefined) parts.push(t(change.favourite ? 'organise.favourite' : 'organise.unfavourite'));
  if (change.rating !== undefined) parts.push(change.rating === 0 ? t('organise.noStars') : t('organise.stars', { count: change.rating }));
  if (change.rejected !== undefined) parts.push(t(change.rejected ? 'organise.reject' : 'organise.unreject'));
  if (change.label !== undefined) parts.push(change.label === null ? t('organise.noLabel') : t('organise.labelIs', { label: t(labelKey(change.label)) }));
  return parts.join(', ');
}

export class Organiser {
  /** The marks of the photos the window knows to be marked (from the timeline and each change); the rest have none. */
  marks = $state.raw<ReadonlyMap<number, MarkBadge>>(new Map());
  /** Counts up after every change to photos: views that show something else than the timeline and the search reload on it. */
  changed = $state(0);
  /** The context menu open on a photo (PhotoActions.svelte shows it). */
  menu = $state.raw<PhotoMenu | null>(null);
  /** What an action asks before it acts: a new album's name, keywords, "hide?", the export dialog. */
  dialog = $state.raw<OrganiseDialog | null>(null);

  private readonly listeners = new Set<() => void | Promise<void>>();

  constructor(private readonly app: AppStore) {}

  /** The photos an action on this photo is for: the whole selection when the photo is in it, else the photo alone. */
  targets(photoId: number): number[] {
    const selection = this.app.selection;
    return selection.has(photoId) ? selection.list() : [photoId];
  }

  /** Opens a photo's context menu at a point; focus goes back to `returnFocus` when it closes. */
  openMenu(photoId: number, x: number, y: number, returnFocus: HTMLElement | null, open: (() => void) | null = null): void {
    this.menu = { photoId, x, y, returnFocus, open };
  }

  closeMenu(): void {
    const menu = this.menu;
    this.menu = null;
    if (menu?.returnFocus?.isConnected) menu.returnFocus.focus();
  }

  ask(kind: OrganiseDialog['kind'], photoIds: number[]): void {
    if (photoIds.length > 0) this.dialog = { kind, photoIds };
  }

  marksOf(id: number): MarkBadge {
    return this.marks.get(id) ?? NO_MARKS;
  }

  /** A new timeline: its marked photos. */
  learnTimeline(marked: TimelineMarks | undefined): void {
    if (!marked) return;
    this.marks = new Map(marked.map(({ id, ...marks }) => [id, marks]));
  }

  /** One photo's marks as photos.get answered them (the viewer). */
  learnPhoto(id: number, marks: PhotoDetail['marks']): void {
    const known = this.marks.get(id) ?? NO_MARKS;
    const next: MarkBadge = { favourite: marks.favourite, rating: marks.rating, rejected: marks.rejected, label: marks.label };
    if (known.favourite === next.favourite && known.rating === next.rating && known.rejected === next.rejected && known.label === next.label) return;
    this.marks = new Map(this.marks).set(id, next);
  }

  /** Called after every change (the search store reruns its query). Returns the unsubscribe function. */
  onChange(listener: () => void | Promise<void>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- marks ----

  /** Sets marks on photos; `announce` says so in a notice (the grid; the viewer shows it in place). */
  async mark(photoIds: number[], change: MarkChange, announce = true): Promise<boolean> {
    if (photoIds.length === 0) return false;
    const ok = await this.run(() => this.app.api.call('photos.mark', { photoIds, ...change }));
    if (ok === null) return false;
    const next = new Map(this.marks);
    for (const id of photoIds) {
      const known = this.marksOf(id);
      next.set(id, {
        favourite: change.favourite ?? known.favourite,
        rating: change.rating ?? known.rating,
        rejected: change.rejected ?? known.rejected,
        label: change.label === undefined ? known.label : change.label,
      });
    }
    this.marks = next;
    if (announce) this.app.notify('info', t('organise.marked', { what: describeChange(change), count: photoIds.length }));
    await this.afterChange();
    return true;
  }

  /** The heart: on for all unless every one already has it, then off for all. */
  toggleFavourite(photoIds: number[], announce = true): Promise<boolean> {
    const all = photoIds.length > 0 && photoIds.every((id) => this.marksOf(id).favourite);
    return this.mark(photoIds, { favourite: !all }, announce);
  }

  /** Reject: on for all unless every one is already rejected. */
  toggleRejected(photoIds: number[], announce = true): Promise<boolean> {
    const all = photoIds.length > 0 && photoIds.every((id) => this.marksOf(id).rejected);
    return this.mark(photoIds, { rejected: !all }, announce);
  }

  // ---- hiding, keywords ----

  /** Hides photos from the library and the search. Their files are never touched. */
  async hide(photoIds: number[]): Promise<boolean> {
    const answer = await this.run(() => this.app.api.call('photos.hide', { photoIds, hidden: true }));
    if (answer === null) return false;
    this.app.notify('info', t('organise.hidden', { count: photoIds.length }));
    await this.afterChange();
    return true;
  }

  /** Puts hidden photos back in the library and the search. */
  async unhide(photoIds: number[]): Promise<boolean> {
    const answer = await this.run(() => this.app.api.call('photos.hide', { photoIds, hidden: false }));
    if (answer === null) return false;
    this.app.notify('info', t('organise.unhidden', { count: photoIds.length }));
    await this.afterChange();
    return true;
  }

  /** True while the grid shows the hidden photos (Filters › Hidden photos): actions offer "Show again" instead of "Hide". */
  get showingHidden(): boolean {
    return this.app.browseFilters?.hidden === true;
  }

  async keywords(photoIds: number[], change: { add?: string[]; remove?: string[] }, announce = true): Promise<boolean> {
    const add = change.add?.map((word) => word.trim()).filter(Boolean) ?? [];
    const remove = change.remove?.map((word) => word.trim()).filter(Boolean) ?? [];
    if (photoIds.length === 0 || (add.length === 0 && remove.length === 0)) return false;
    const answer = await this.run(() => this.app.api.call('photos.keywords', { photoIds, ...(add.length ? { add } : {}), ...(remove.length ? { remove } : {}) }));
    if (answer === null) return false;
    if (announce && add.length > 0) this.app.notify('info', t('organise.keywordsAdded', { words: add.join(', '), count: photoIds.length }));
    await this.afterChange();
    return true;
  }

  // ---- albums ----

  async addToAlbum(album: { id: number; name: string }, photoIds: number[]): Promise<boolean> {
    const answer = await this.run(() => this.app.api.call('albums.add', { id: album.id, photoIds }));
    if (answer === null) return false;
    this.app.notify('info', t('organise.addedToAlbum', { count: photoIds.length, name: album.name }));
    await Promise.all([this.app.loadAlbums(), this.afterChange()]);
    return true;
  }

  async createAlbum(name: string, photoIds: number[]): Promise<CallResult<'albums.create'> | null> {
    // The app's own: the sidebar lists the new album at once.
    const album = await this.app.createAlbum(name.trim(), photoIds);
    if (album === null) return null;
    this.app.notify('info', t('organise.albumCreated', { count: photoIds.length, name: album.name }));
    await this.afterChange();
    return album;
  }

  // ---- files ----

  /** Writes the photos' marks and keywords to XMP sidecars and says what came of it. */
  async writeSidecars(photoIds: number[]): Promise<CallResult<'photos.writeSidecars'> | null> {
    const answer = await this.run(() => this.app.api.call('photos.writeSidecars', { photoIds }));
    if (answer === null) return null;
    this.app.notify('info', t('organise.sidecars', { created: answer.created, updated: answer.updated, unchanged: answer.unchanged }));
    if (answer.failed.length > 0) this.app.notify('error', t('organise.sidecarsFailed', { count: answer.failed.length, error: answer.failed[0]!.error }));
    return answer;
  }

  /** Desktop: the photo's file, selected in the system's file manager. */
  async showInFolder(id: number): Promise<void> {
    const answer = await this.run(() => this.app.api.call('photos.showInFolder', { id }));
    if (answer && !answer.shown) this.app.notify('error', t('organise.notShown'));
  }

  private async run<T>(call: () => Promise<T>): Promise<T | null> {
    try {
      return await call();
    } catch (error) {
      this.app.notify('error', errorMessage(error));
      return null;
    }
  }

  private async afterChange(): Promise<void> {
    this.changed++;
    await Promise.all([this.app.loadTimeline(), ...[...this.listeners].map((listener) => listener())]);
  }
}
