/**
 * Reading what a server sent, defensively: OpenAI-compatible servers differ in every detail, so a
 * body is only ever "maybe a JSON object", and each field is checked where it is used.
 */

/** A whole body as text (UTF-8 decoded once at the end, so no character is split between chunks). */
export async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

/** The JSON object in `text`, or undefined when it is not JSON or not an object (an array, a string). */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
