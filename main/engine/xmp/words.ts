import type { CaptionStore } from '../captions/caption-store.js';
import type { TagStore } from '../library/tag-store.js';
import type { XmpData } from './merge.js';

/** What a photo's sidecar should say: its caption and its tags' labels (best first). */
export function sidecarWords(captions: CaptionStore, tags: TagStore, photoId: number): XmpData {
  const caption = captions.get(photoId);
  return { ...(caption ? { description: caption.text } : {}), subjects: tags.of(photoId).map((tag) => tag.label) };
}

/** The photos with a caption or a tag, in id order (what `iris export-xmp --all` writes). */
export function photosWithWords(captions: CaptionStore, tags: TagStore): number[] {
  return [...new Set([...captions.photoIds(), ...tags.photoIds()])].sort((a, b) => a - b);
}
