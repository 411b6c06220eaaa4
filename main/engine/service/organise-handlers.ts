import type { CallResult } from '../../contract/contract.js';
import { UsageError } from '../errors.js';
import type { EngineHandlers, HandlerContext } from './handler-context.js';
import { timeline } from './library-views.js';

type OrganiseCalls =
  | 'photos.mark'
  | 'photos.hide'
  | 'photos.keywords'
  | 'photos.writeSidecars'
  | 'photos.exportTo'
  | 'albums.list'
  | 'albums.create'
  | 'albums.update'
  | 'albums.delete'
  | 'albums.add'
  | 'albums.remove'
  | 'albums.move'
  | 'albums.photos'
  | 'duplicates.groups';

/** Selection actions, albums and the duplicates review for a window: the same rules as the CLI (engine/organise). */
export function organiseHandlers(context: HandlerContext): Pick<EngineHandlers, OrganiseCalls> {
  const { engine } = context;
  const { marks, albums } = engine.organise;
  return {
    'photos.mark': ({ photoIds, favourite, rating, rejected, label }) => {
      if (favourite === undefined && rating === undefined && rejected === undefined && label === undefined) throw new UsageError('say what to mark: favourite, rating, rejected or label');
      return { changed: marks.setMarks(photoIds, { favourite, rating, rejected, label }) };
    },
    'photos.hide': ({ photoIds, hidden }) => ({ changed: marks.setHidden(photoIds, hidden) }),
    'photos.keywords': ({ photoIds, add, remove }) => ({ changed: marks.editKeywords(photoIds, add ?? [], remove ?? []) }),
    'photos.writeSidecars': async ({ photoIds }) => {
      const result = await engine.organise.writeSidecars(photoIds);
      return { created: result.created, updated: result.updated, unchanged: result.unchanged, failed: result.failed.map(({ photoId, error }) => ({ photoId, error })) };
    },
    'photos.exportTo': ({ photoIds, folder, as, maxEdge, quality }) => engine.organise.export(photoIds, folder, { as, maxEdge, quality }),
    'albums.list': () => albums.list(),
    'albums.create': ({ name, photoIds }) => albums.get(albums.create(name, photoIds ?? [])),
    'albums.update': ({ id, name, sort, coverPhotoId }) => {
      albums.update(id, { name, sort, coverPhotoId });
      return albums.get(id);
    },
    'albums.delete': ({ id }) => {
      albums.delete(id);
      return { deleted: true };
    },
    'albums.add': ({ id, photoIds }) => ({ added: albums.add(id, photoIds) }),
    'albums.remove': ({ id, photoIds }) => ({ removed: albums.remove(id, photoIds) }),
    'albums.move': ({ id, photoIds, beforeId }) => {
      albums.move(id, photoIds, beforeId);
      return { moved: true };
    },
    'albums.photos': ({ id }) => inAlbumOrder(timeline(engine.database, undefined, { albumId: id }), albums.photos(id)),
    'duplicates.groups': ({ threshold, includeHidden }) => engine.organise.duplicates({ threshold, includeHidden }),
  };
}

/** The grid's columns for an album, reordered to the album's order (by date or by hand). */
function inAlbumOrder(columns: CallResult<'albums.photos'>, order: readonly number[]): CallResult<'albums.photos'> {
  const at = new Map(columns.ids.map((id, i) => [id, i]));
  const kept = order.filter((id) => at.has(id));
  return {
    ids: kept,
    takenAt: kept.map((id) => columns.takenAt[at.get(id)!]!),
    aspect: kept.map((id) => columns.aspect[at.get(id)!]!),
    pending: columns.pending,
    // By id, not by position: the order does not matter to the grid's badges.
    ...(columns.marks ? { marks: columns.marks } : {}),
  };
}
