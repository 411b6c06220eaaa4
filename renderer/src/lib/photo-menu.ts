/**
 * The entries of a photo's context menu: the same actions as the selection bar, for the photo (or
 * for the whole selection when the photo is in it).
 */
import type { MenuItem } from '../components/ContextMenu.svelte';
import type { AppStore } from './app.svelte.js';
import { COLOUR_LABELS, LABEL_COLOURS, labelKey } from './organise.svelte.js';
import { t } from './prefs.svelte.js';

/** The value every photo shares, or undefined when they differ. */
function common<T>(ids: number[], read: (id: number) => T): T | undefined {
  const first = read(ids[0]!);
  return ids.every((id) => read(id) === first) ? first : undefined;
}

/** Colour labels as radio entries, the one all the photos have checked. */
export function labelItems(app: AppStore, ids: number[]): MenuItem[] {
  const organise = app.organise;
  const label = common(ids, (id) => organise.marksOf(id).label);
  return [
    { id: 'label-none', label: t('organise.noLabel'), kind: 'radio', checked: label === null, action: () => void organise.mark(ids, { label: null }) },
    ...COLOUR_LABELS.map((colour) => ({
      id: `label-${colour}`,
      label: t(labelKey(colour)),
      kind: 'radio' as const,
      checked: label === colour,
      swatch: LABEL_COLOURS[colour],
      action: () => void organise.mark(ids, { label: colour }),
    })),
  ];
}

/** The albums to add the photos to, then "New album…". */
export function albumItems(app: AppStore, ids: number[]): MenuItem[] {
  const organise = app.organise;
  return [
    ...app.albums.map((album) => ({ id: `album-${album.id}`, label: album.name, action: () => void organise.addToAlbum(album, ids) })),
    { id: 'album-new', label: t('organise.newAlbum'), icon: 'plus', separated: app.albums.length > 0, action: () => organise.ask('new-album', ids) },
  ];
}

export function photoMenuItems(app: AppStore, photoId: number, open: (() => void) | null): MenuItem[] {
  const organise = app.organise;
  const ids = organise.targets(photoId);
  const single = ids.length === 1;
  const marks = (id: number) => organise.marksOf(id);
  const rating = common(ids, (id) => marks(id).rating);
  const selected = app.selection.has(photoId);
  const items: MenuItem[] = [];
  if (open && single) items.push({ id: 'open', label: t('organise.open'), icon: 'photos', action: open });
  items.push({ id: 'select', label: t(selected ? 'organise.deselect' : 'organise.select'), icon: 'check', action: () => app.selection.toggle(photoId) });
  items.push(
    {
      id: 'favourite',
      label: t('organise.favourite'),
      icon: 'heart',
      kind: 'checkbox',
      checked: ids.every((id) => marks(id).favourite),
      separated: true,
      action: () => void organise.toggleFavourite(ids),
    },
    {
      id: 'rating',
      label: t('organise.rating'),
      icon: 'star',
      items: [0, 1, 2, 3, 4, 5].map((stars) => ({
        id: `rating-${stars}`,
        label: stars === 0 ? t('organise.noStars') : t('organise.stars', { count: stars }),
        kind: 'radio' as const,
        checked: rating === stars,
        action: () => void organise.mark(ids, { rating: stars }),
      })),
    },
    { id: 'reject', label: t('organise.reject'), icon: 'reject', kind: 'checkbox', checked: ids.every((id) => marks(id).rejected), action: () => void organise.toggleRejected(ids) },
    {
      id: 'label',
      label: t('organise.label'),
      icon: 'dot',
      items: labelItems(app, ids),
    },
    {
      id: 'album',
      label: t('organise.addToAlbum'),
      icon: 'album',
      separated: true,
      items: albumItems(app, ids),
    },
    { id: 'keywords', label: t('organise.addKeywords'), icon: 'keyword', action: () => organise.ask('keywords', ids) },
    { id: 'export', label: t('organise.export'), icon: 'export', separated: true, action: () => organise.ask('export', ids) },
    { id: 'sidecars', label: t('organise.writeSidecars'), icon: 'file', action: () => void organise.writeSidecars(ids) },
  );
  if (single && app.capabilities?.mode === 'desktop') items.push({ id: 'show-in-folder', label: t('organise.showInFolder'), icon: 'folder', action: () => void organise.showInFolder(ids[0]!) });
  if (organise.showingHidden) items.push({ id: 'unhide', label: t('organise.unhide'), icon: 'eye-off', separated: true, action: () => void organise.unhide(ids) });
  else items.push({ id: 'hide', label: t('organise.hide'), icon: 'eye-off', separated: true, action: () => organise.ask('hide', ids) });
  return items;
}
