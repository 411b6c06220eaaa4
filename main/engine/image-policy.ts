import sharp from 'sharp';

/**
 * How this process's libvips may read images, set once on import (metadata.ts imports it, and every
 * module that decodes photos imports metadata.ts):
 *
 * - Only photo formats are decoded. libvips also loads SVG (librsvg), PDF, FITS, Matlab, its own
 *   .v format and more; an SVG renamed photo.jpg would otherwise be rendered as a photo (and SVG
 *   can reference other files). The loaders of every format Iris does not list as a photo are
 *   blocked here (a blocked loader fails with "operation is blocked"), and readMetadata also
 *   checks the bytes themselves (sniffRasterFormat in formats.ts) to say clearly what the file is.
 * - libvips' operation cache stays small: the engine decodes thousands of distinct files once each,
 *   so caching buys nothing and would only grow the resident set.
 */
export const BLOCKED_LOADERS = [
  'VipsForeignLoadSvg',
  'VipsForeignLoadPdf',
  'VipsForeignLoadMagick',
  'VipsForeignLoadVips',
  'VipsForeignLoadFits',
  'VipsForeignLoadMat',
  'VipsForeignLoadOpenslide',
  'VipsForeignLoadAnalyze',
  'VipsForeignLoadRaw',
  'VipsForeignLoadCsv',
  'VipsForeignLoadMatrix',
  'VipsForeignLoadPpm',
  'VipsForeignLoadRad',
  'VipsForeignLoadJp2k',
  'VipsForeignLoadJxl',
] as const;

sharp.block({ operation: [...BLOCKED_LOADERS] });
sharp.cache({ memory: 64, files: 0, items: 50 });
