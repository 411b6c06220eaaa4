import path from 'node:path';

/**
 * The real file behind a path inside app.asar that electron-builder unpacked (asarUnpack).
 * Electron's fs patches read inside the archive, and `require` of a .node file is redirected to
 * app.asar.unpacked, but a library that calls dlopen itself is not: SQLite's
 * `load_extension(getLoadablePath())` for sqlite-vec gets a path inside app.asar and fails. This
 * rewrites that one path segment; every other path comes back unchanged.
 */
export function asarUnpackedPath(file: string, separator: string = path.sep): string {
  const packed = `${separator}app.asar${separator}`;
  const index = file.indexOf(packed);
  if (index < 0) return file;
  return `${file.slice(0, index)}${separator}app.asar.unpacked${separator}${file.slice(index + packed.length)}`;
}
