import { type Command, Option } from 'commander';
import { UsageError } from '../../engine/index.js';
import type { Engine } from '../../engine/engine.js';
import type { Album } from '../../engine/organise/album-store.js';
import { COLOUR_LABELS, type ColourLabel, type MarkChange } from '../../engine/organise/organise-store.js';
import { type CommandContext, emit, globals, withEngine } from '../context.js';

function wholeNumber(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} wants a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}, not "${value}"`);
  return n;
}

function photoIds(engine: Engine, references: readonly string[]): number[] {
  if (references.length === 0) throw new UsageError('give photos: paths or ids from `iris list`');
  return [...new Set(references.map((reference) => engine.library.resolvePhoto(reference)))];
}

function formatAlbums(albums: readonly Album[]): string {
  if (albums.length === 0) return 'no albums yet: `iris albums create "<name>" [photos...]`';
  return albums.map((album) => `${String(album.id).padStart(5)}  ${album.name.padEnd(28)} ${album.count} photo(s)${album.sort === 'manual' ? '  (sorted by hand)' : ''}`).join('\n');
}

function list(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((item) => item.trim()).filter(Boolean)];
}

/** `iris mark`, `keywords`, `hide`/`unhide`, `albums` and `export`: organising photos, never touching their files. */
export function registerOrganiseCommands(program: Command, context: CommandContext): void {
  program
    .command('mark')
    .description('a heart, stars, reject or a colour label on photos (Iris data; `iris export-xmp --marks` writes them to sidecars)')
    .argument('<photos...>', 'library paths or ids')
    .option('--favourite', 'add a heart')
    .option('--no-favourite', 'take the heart away')
    .option('--rating <stars>', '0 to 5 stars')
    .option('--reject', 'mark as rejected')
    .option('--no-reject', 'no longer rejected')
    .addOption(new Option('--label <colour>', 'a colour label, or none').choices([...COLOUR_LABELS, 'none']))
    .action(async (references: string[], flags: { favourite?: boolean; rating?: string; reject?: boolean; label?: ColourLabel | 'none' }, command: Command) => {
      const options = globals(command);
      const change: MarkChange = {
        favourite: flags.favourite,
        rating: flags.rating === undefined ? undefined : wholeNumber('--rating', flags.rating, 0, 5),
        rejected: flags.reject,
        label: flags.label === undefined ? undefined : flags.label === 'none' ? null : flags.label,
      };
      if (Object.values(change).every((value) => value === undefined)) throw new UsageError('say what to mark: --favourite, --rating N, --reject or --label COLOUR');
      await withEngine(options, async (engine) => {
        const ids = photoIds(engine, references);
        const changed = engine.organise.marks.setMarks(ids, change);
        const marks = ids.map((id) => ({ id, ...engine.organise.marks.marksOf(id) }));
        emit(options, marks, () => `marked ${changed} of ${ids.length} photo(s)`);
      });
    });

  program
    .command('keywords')
    .description("a photo's keywords; --add and --remove change them on every photo given")
    .argument('<photos...>', 'library paths or ids')
    .option('--add <keywords>', 'comma-separated keywords to add', list)
    .option('--remove <keywords>', 'comma-separated keywords to remove', list)
    .action(async (references: string[], flags: { add?: string[]; remove?: string[] }, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const ids = photoIds(engine, references);
        if (flags.add?.length || flags.remove?.length) engine.organise.marks.editKeywords(ids, flags.add ?? [], flags.remove ?? []);
        const keywords = ids.map((id) => ({ id, keywords: engine.organise.marks.keywordsOf(id) }));
        emit(options, keywords, () => keywords.map(({ id, keywords: words }) => `${id}: ${words.map((k) => k.hierarchy ?? k.keyword).join(', ') || '(no keywords)'}`).join('\n'));
      });
    });

  for (const [name, hidden] of [
    ['hide', true],
    ['unhide', false],
  ] as const) {
    program
      .command(name)
      .description(hidden ? 'hides photos from the library and search (a duplicate not kept); the files are never touched' : 'shows hidden photos again')
      .argument('<photos...>', 'library paths or ids')
      .action(async (references: string[], _flags: unknown, command: Command) => {
        const options = globals(command);
        await withEngine(options, async (engine) => {
          const ids = photoIds(engine, references);
          const changed = engine.organise.marks.setHidden(ids, hidden);
          emit(options, { changed }, () => `${hidden ? 'hid' : 'showed'} ${changed} photo(s)`);
        });
      });
  }

  const albums = program
    .command('albums')
    .description('albums: id, name, photos (Iris data only: albums never change the files)')
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const all = engine.organise.albums.list();
        emit(options, all, () => formatAlbums(all));
      });
    });
  const albumId = (value: string) => wholeNumber('<album>', value, 1);

  albums
    .command('create')
    .argument('<name>')
    .argument('[photos...]')
    .action(async (name: string, references: string[], _flags: unknown, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const id = engine.organise.albums.create(name, references.length ? photoIds(engine, references) : []);
        const album = engine.organise.albums.get(id);
        emit(options, album, () => `album ${id} "${album.name}" with ${album.count} photo(s)`);
      });
    });

  albums
    .command('show')
    .argument('<album>')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const album = engine.organise.albums.get(albumId(id));
        const photos = engine.organise.albums.photos(album.id).map((photoId) => ({ id: photoId, path: engine.store.getPhoto(photoId)?.path ?? null }));
        emit(options, { ...album, photos }, () => [`${album.id}  ${album.name}`, ...photos.map((photo) => `  ${String(photo.id).padStart(6)}  ${photo.path ?? ''}`)].join('\n'));
      });
    });

  const albumChange = (verb: string, description: string, run: (engine: Engine, id: number, args: string[], flags: Record<string, string | undefined>) => string) => {
    albums
      .command(verb)
      .description(description)
      .argument('<album>')
      .argument('[rest...]')
      .option('--before <photo>', 'move: stand before this photo (default: the end)')
      .action(async (id: string, rest: string[], flags: Record<string, string | undefined>, command: Command) => {
        const options = globals(command);
        await withEngine(options, async (engine) => {
          const message = run(engine, albumId(id), rest, flags);
          emit(options, engine.organise.albums.get(albumId(id)), () => message);
        });
      });
  };
  albumChange('rename', 'renames an album: rename <album> <name>', (engine, id, [name]) => {
    engine.organise.albums.update(id, { name: name ?? '' });
    return `album ${id} is now "${name}"`;
  });
  albumChange('add', 'adds photos: add <album> <photos...>', (engine, id, rest) => `added ${engine.organise.albums.add(id, photoIds(engine, rest))} photo(s)`);
  albumChange('remove', 'takes photos out (they stay in the library): remove <album> <photos...>', (engine, id, rest) => `removed ${engine.organise.albums.remove(id, photoIds(engine, rest))} photo(s)`);
  albumChange('sort', 'sort <album> date|manual', (engine, id, [sort]) => {
    if (sort !== 'date' && sort !== 'manual') throw new UsageError('sort wants date or manual');
    engine.organise.albums.update(id, { sort });
    return `album ${id} is sorted ${sort === 'date' ? 'by date' : 'by hand'}`;
  });
  albumChange('cover', 'cover <album> <photo>: the photo that shows the album', (engine, id, [photo]) => {
    engine.organise.albums.update(id, { coverPhotoId: photoIds(engine, photo ? [photo] : [])[0]! });
    return `album ${id} has a new cover`;
  });
  albumChange('move', 'move <album> <photos...> [--before <photo>]: reorders by hand', (engine, id, rest, flags) => {
    engine.organise.albums.move(id, photoIds(engine, rest), flags.before ? photoIds(engine, [flags.before])[0]! : null);
    return `moved ${rest.length} photo(s)`;
  });
  albums
    .command('delete')
    .description('deletes an album; its photos stay in the library')
    .argument('<album>')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        engine.organise.albums.delete(albumId(id));
        emit(options, { deleted: true }, () => `deleted album ${id} (its photos stay in the library)`);
      });
    });

  program
    .command('export')
    .description('copies photos to a folder (originals, or JPEG); never over an existing file, the originals are only read')
    .argument('<photos...>', 'library paths or ids')
    .requiredOption('--to <folder>', 'where the copies go (it must exist)')
    .option('--jpeg', 'JPEG copies, upright, instead of the original files')
    .option('--max-edge <px>', 'JPEG: at most this many pixels on the long side')
    .option('--quality <q>', 'JPEG quality 50-100', '90')
    .action(async (references: string[], flags: { to: string; jpeg?: boolean; maxEdge?: string; quality: string }, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const result = await engine.organise.export(photoIds(engine, references), flags.to, {
          as: flags.jpeg ? 'jpeg' : 'original',
          maxEdge: flags.maxEdge === undefined ? undefined : wholeNumber('--max-edge', flags.maxEdge, 64),
          quality: wholeNumber('--quality', flags.quality, 50, 100),
        });
        if (result.failed.length > 0) context.setExitCode(1);
        emit(options, result, () => [...result.written.map((file) => `wrote ${file}`), ...result.failed.map((failure) => `failed ${failure.photoId}: ${failure.error}`)].join('\n'));
      });
    });
}
