/** Labels as the user types them for zero-shot tags. */

/** Comma-separated (Chinese commas and enumeration marks too), trimmed, blanks and repeats dropped, at most 64 of ≤100 chars. */
export function parseLabels(text: string): string[] {
  const seen = new Set<string>();
  for (const part of text.split(/[,，、;；\n]/)) {
    const label = part.trim().slice(0, 100);
    if (label) seen.add(label);
  }
  return [...seen].slice(0, 64);
}
