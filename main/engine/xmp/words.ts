import type { CaptionStore } from '../captions/caption-store.js';
import type { PhotoTextStore } from '../captions/photo-text-store.js';
import type { TagStore } from '../library/tag-store.js';
import type { XmpData } from './merge.js';

interface WordStores {
  captions: CaptionStore;
  tags: TagStore;
  /** Given: the text read in each photo is written too (`iris export-xmp --text`). */
  photoText?: PhotoTextStore;
}

/** What a photo's sidecar should say: its caption, its tags' labels (best first) and, when asked, the text read in it. */
export function sidecarWords(stores: WordStores, photoId: number): XmpData {
  const caption = stores.captions.get(photoId);
  const read = stores.photoText?.get(photoId)?.text;
  return { ...(caption ? { description: caption.text } : {}), subjects: stores.tags.of(photoId).map((tag) => tag.label), ...(read ? { textInPhoto: read } : {}) };
}

/** The photos with a caption or a tag (and with `photoText`, text read in them), in id order (what `iris export-xmp --all` writes). */
export function photosWithWords(stores: WordStores): number[] {
  const read = stores.photoText?.photoIdsWithText() ?? [];
  return [...new Set([...stores.captions.photoIds(), ...stores.tags.photoIds(), ...read])].sort((a, b) => a - b);
}
