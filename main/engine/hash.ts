import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * A photo's identity: sha256 of its bytes, hex. Streams, so a large file needs no large buffer.
 * With `noFollow`, a path that is (or has just become) a symlink fails to open (ELOOP) where the
 * platform can say so, instead of reading whatever the link points at.
 */
export async function hashFile(file: string, options: { noFollow?: boolean } = {}): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(file, options.noFollow ? constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) : constants.O_RDONLY);
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: 1 << 20, autoClose: false })) hash.update(chunk as Buffer);
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

export function hashBuffer(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
