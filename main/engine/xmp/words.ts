import type { CaptionStore } from '../captions/caption-store.js';
import type { PhotoTextStore } from '../captions/photo-text-store.js';
import type { FaceStore } from '../faces/face-store.js';
import type { LibraryStore } from '../library-store.js';
import type { TagStore } from '../library/tag-store.js';
import type { XmpData } from './merge.js';

interface WordStores {
  captions: CaptionStore;
  tags: TagStore;
  /** Given: the text read in each photo is written too (`iris export-xmp --text`). */
  photoText?: PhotoTextStore;
  /** Given: the named people's faces are written as MWG face regions (`iris export-xmp --faces`). */
  faces?: { store: FaceStore; library: LibraryStore };
}

/** What a photo's sidecar should say: its caption, its tags' labels (best first) and, when asked, the text read in it and its named faces. */
export function sidecarWords(stores: WordStores, photoId: number): XmpData {
  const caption = stores.captions.get(photoId);
  const read = stores.photoText?.get(photoId)?.text;
  const named = stores.faces ? stores.faces.store.facesOf(photoId).flatMap((face) => (face.personName ? [{ name: face.personName, box: face.box }] : [])) : [];
  const photo = named.length > 0 ? stores.faces!.library.getPhoto(photoId) : undefined;
  return {
    ...(caption ? { description: caption.text } : {}),
    subjects: stores.tags.of(photoId).map((tag) => tag.label),
    ...(read ? { textInPhoto: read } : {}),
    ...(named.length > 0 ? { faces: named, ...(photo?.width && photo.height ? { dimensions: { width: photo.width, height: photo.height } } : {}) } : {}),
  };
}

/** The photos with a caption or a tag (and with `photoText`, text read in them; with `faces`, a named face), in id order (what `iris export-xmp --all` writes). */
export function photosWithWords(stores: WordStores): number[] {
  const read = stores.photoText?.photoIdsWithText() ?? [];
  const faces = stores.faces?.store.photosWithNamedFaces() ?? [];
  return [...new Set([...stores.captions.photoIds(), ...stores.tags.photoIds(), ...read, ...faces])].sort((a, b) => a - b);
}
