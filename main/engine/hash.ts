import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** A photo's identity: sha256 of its bytes, hex. Streams, so a large file needs no large buffer. */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function hashBuffer(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
