/**
 * Turns libvips/sharp messages into one specific line a person can act on. The raw message is kept
 * after the explanation because it is what a bug report needs.
 */
export class PhotoReadError extends Error {
  constructor(message: string, readonly code: 'too-large' | 'truncated' | 'corrupt' | 'unsupported' | 'unreadable') {
    super(message);
    this.name = 'PhotoReadError';
  }
}

function firstLines(message: string): string {
  // libvips repeats the same lines once per retry; keep each distinct line once.
  return [...new Set(message.split('\n').map((l) => l.trim()).filter(Boolean))].slice(0, 2).join('; ');
}

export function describeDecodeError(error: unknown): PhotoReadError {
  if (error instanceof PhotoReadError) return error;
  const raw = error instanceof Error ? error.message : String(error);
  const detail = firstLines(raw);
  if (/exceeds pixel limit/i.test(raw)) {
    return new PhotoReadError(`refused: image exceeds the pixel limit (${detail})`, 'too-large');
  }
  // Header first: a file whose header is already broken also reports a premature end.
  if (/corrupt header/i.test(raw)) {
    return new PhotoReadError(`corrupt image header: ${detail}`, 'corrupt');
  }
  if (/premature end|truncated|read error|unexpected end|not enough data/i.test(raw)) {
    return new PhotoReadError(`truncated or damaged image data: ${detail}`, 'truncated');
  }
  if (/bad seek|invalid|corrupt/i.test(raw)) {
    return new PhotoReadError(`corrupt image: ${detail}`, 'corrupt');
  }
  if (/unsupported image format|unknown format|not a known file format/i.test(raw)) {
    return new PhotoReadError(`not a readable image: ${detail}`, 'unsupported');
  }
  if (/ENOENT|EACCES|EPERM|EISDIR/.test(raw)) {
    return new PhotoReadError(`cannot read file: ${detail}`, 'unreadable');
  }
  return new PhotoReadError(`cannot decode image: ${detail}`, 'corrupt');
}
