import { type Command, Option } from 'commander';
import { UsageError } from '../../engine/index.js';
import type { SearchOptions, SearchResponse } from '../../engine/search/clip-search.js';
import { type CommandContext, emit, globals, withEngine } from '../context.js';
import { formatDuplicateReview, formatDuplicates, formatSearch, formatTags } from '../format.js';

interface FilterFlags {
  limit: string;
  relevant?: boolean;
  folder?: string;
  after?: string;
  before?: string;
  format?: string[];
  camera?: string;
  place?: string;
  person?: string;
  favourites?: boolean;
  minRating?: string;
  label?: string;
  rejected?: boolean;
  album?: string;
  keyword?: string;
  hidden?: boolean;
  /** commander's --no-chips: false. */
  chips?: boolean;
  literal?: string[];
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} wants a whole number of at least 1, not "${value}"`);
  return n;
}

function searchOptions(flags: FilterFlags): SearchOptions {
  return {
    limit: positiveInt('--limit', flags.limit),
    folder: flags.folder,
    after: flags.after,
    before: flags.before,
    formats: flags.format?.flatMap((f) => f.split(',')).map((f) => f.trim()).filter(Boolean),
    cameras: flags.camera ? [[flags.camera]] : undefined,
    places: flags.place ? [[flags.place]] : undefined,
    people: flags.person ? [[flags.person]] : undefined,
    favourite: flags.favourites,
    minRating: flags.minRating === undefined ? undefined : stars(flags.minRating),
    label: flags.label,
    rejected: flags.rejected,
    albumId: flags.album === undefined ? undefined : positiveInt('--album', flags.album),
    keyword: flags.keyword,
    hidden: flags.hidden,
  };
}

function stars(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 5) throw new UsageError(`--min-rating wants 1 to 5 stars, not "${value}"`);
  return n;
}

/** With --relevant, the answer keeps only the photos the relevance cut kept. */
function relevantOnly<T extends SearchResponse>(response: T, flags: FilterFlags): T {
  return flags.relevant ? { ...response, results: response.results.slice(0, response.relevant) } : response;
}

/** The filters `search` and `similar` share. */
function withFilters(command: Command): Command {
  return command
    .option('--limit <n>', 'how many photos', '20')
    .option('--relevant', 'only the photos that stand out from the library as matches (at most --limit)')
    .option('--folder <dir>', 'only photos inside this folder')
    .option('--after <date>', 'only photos taken on or after this date (YYYY-MM-DD)')
    .option('--before <date>', 'only photos taken before this date (YYYY-MM-DD)')
    .addOption(new Option('--format <formats...>', 'only these formats (jpeg, png, heic, avif, webp, tiff, ...)'))
    .option('--camera <name>', 'only photos from this camera (its maker, model or family: "iPhone", "Canon EOS R5")')
    .option('--place <name>', 'only photos taken in this place (a town, city or country: "Paris", "法国")')
    .option('--person <name>', 'only photos of this person (a name given with `iris people name`)')
    .option('--favourites', 'only favourites (a heart: `iris mark --favourite`)')
    .option('--min-rating <stars>', 'only photos with at least this many stars (1-5)')
    .addOption(new Option('--label <colour>', 'only photos with this colour label').choices(['red', 'yellow', 'green', 'blue', 'purple']))
    .option('--rejected', 'only rejected photos')
    .option('--album <id>', 'only photos in this album (`iris albums`)')
    .option('--keyword <keyword>', 'only photos with this keyword')
    .option('--hidden', 'only the photos hidden from the library (duplicates not kept)');
}

/** `iris search`, `similar`, `duplicates` and `tag`: what the CLIP embeddings are for. */
export function registerSearchCommands(program: Command, context: CommandContext): void {
  withFilters(program.command('search').description('find photos from a sentence, best first').argument('<text>'))
    .option('--no-chips', 'search every word as a word: no date, camera or place filters taken from the query')
    .addOption(new Option('--literal <words...>', 'these words stay words, not a filter chip (a chip the listing named)'))
    .action(async (text: string, flags: FilterFlags, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        // CLIP's ranking fused with the text rankings, date words as filters (engine/search/text-search.ts).
        const response = relevantOnly(await engine.clip.search(text, { ...searchOptions(flags), chips: flags.chips, literal: flags.literal }), flags);
        emit(options, response, () => formatSearch(response, `"${text}"`));
      });
    });

  withFilters(program.command('similar').description('photos that look like a photo (a library path or id, or any image file)').argument('<photo>')).action(
    async (photo: string, flags: FilterFlags, command: Command) => {
      const options = globals(command);
      await withEngine(options, async (engine) => {
        const response = relevantOnly(await engine.clip.searcher().similar(photo, searchOptions(flags)), flags);
        emit(options, response, () => formatSearch(response, photo));
      });
    },
  );

  program
    .command('duplicates')
    .description('groups of near-duplicate photos (CLIP cosine at or above the threshold)')
    .option('--threshold <cosine>', 'how alike two photos must be, 0-1')
    .option('--review', 'with size, resolution, date, sharpness and metadata of each copy, hidden ones too, and which copy each rule would keep')
    .action(async (flags: { threshold?: string; review?: boolean }, command: Command) => {
      const options = globals(command);
      const threshold = flags.threshold === undefined ? undefined : Number(flags.threshold);
      if (threshold !== undefined && !(threshold > 0 && threshold <= 1)) throw new UsageError(`--threshold wants a cosine between 0 and 1, not "${flags.threshold}"`);
      await withEngine(options, async (engine) => {
        if (flags.review) {
          const review = await engine.organise.duplicates({ threshold, includeHidden: true });
          emit(options, review, () => formatDuplicateReview(review));
          return;
        }
        const result = engine.clip.searcher().duplicates(threshold);
        emit(options, result, () => formatDuplicates(result));
      });
    });

  program
    .command('tag')
    .description('zero-shot labels: how likely each label is for a photo ("a photo of a <label>")')
    .argument('[photos...]', 'library paths or ids, or image files')
    .requiredOption('--labels <labels>', 'comma-separated labels, e.g. "cat,dog,car"')
    .option('--all', 'every embedded photo, saving each one\'s most likely label as a tag')
    .action(async (photos: string[], flags: { labels: string; all?: boolean }, command: Command) => {
      const options = globals(command);
      if (flags.all && photos.length > 0) throw new UsageError('give photos or --all, not both');
      if (!flags.all && photos.length === 0) throw new UsageError('give a photo (path or id) or --all');
      await withEngine(options, async (engine) => {
        const results = await engine.clip.searcher().tag(flags.all ? 'all' : photos, flags.labels.split(','), flags.all ?? false);
        emit(options, results, () => formatTags(results) + (flags.all ? `\nsaved the most likely label of ${results.length} photos as a tag` : ''));
      });
    });
  void context;
}
