import { FacesCatalogPreprocessingSchema } from '../models/face-catalog.js';
import { UsageError } from '../errors.js';
import type { EngineHandlers, HandlerContext } from './handler-context.js';

type PeopleCalls = 'people.list' | 'people.update' | 'people.merge' | 'people.split' | 'faces.ofPhoto' | 'faces.assign' | 'faces.draw' | 'faces.status' | 'faces.forget';

/** People and faces for a window: the same store and rules as `iris people` (faces/face-store.ts). */
export function peopleHandlers(context: HandlerContext): Pick<EngineHandlers, PeopleCalls> {
  const service = context.engine.faces;
  const store = service.faces;
  return {
    'people.list': ({ hidden }) =>
      store.listPeople({ hidden }).map((person) => ({ id: person.id, name: person.name, hidden: person.hidden, faces: person.faces, photoIds: person.photos.map((photo) => photo.id), cover: store.cover(person.id) })),
    'people.update': ({ id, name, hidden, coverFaceId }) => {
      if (name !== undefined) store.name(id, name);
      if (hidden !== undefined) store.hide(id, hidden);
      if (coverFaceId !== undefined) store.setCover(id, coverFaceId);
      if (name === undefined && hidden === undefined && coverFaceId === undefined) store.requirePerson(id);
      return { id };
    },
    'people.merge': ({ into, others }) => {
      store.merge(into, others);
      return { id: into };
    },
    'people.split': ({ id, faceIds, name }) => ({ id: store.split(id, faceIds, name ?? null) }),
    'faces.ofPhoto': ({ photoId }) =>
      store.facesOf(photoId).map((face) => ({ id: face.id, box: face.box, score: face.score, personId: face.personId, personName: face.personName, manual: face.model === 'manual' })),
    'faces.assign': ({ faceId, personId, newPerson, notFace }) => {
      const choices = [personId !== undefined, newPerson === true, notFace === true].filter(Boolean).length;
      if (choices !== 1) throw new UsageError('say one of: personId (a person, or null for nobody), newPerson, notFace');
      if (notFace) {
        store.markNotFace(faceId);
        return { personId: null };
      }
      if (newPerson) {
        const created = store.newPersonFor(faceId);
        return { personId: created };
      }
      store.moveFace(faceId, personId ?? null);
      return { personId: personId ?? null };
    },
    'faces.draw': ({ photoId, box, personId }) => {
      context.engine.store.requirePhoto(photoId);
      return service.drawFace(photoId, box, personId);
    },
    'faces.status': () => {
      const choice = service.choice();
      const counts = store.counts();
      const use = choice.entry ? (FacesCatalogPreprocessingSchema.safeParse(choice.entry.preprocessing).data?.use ?? null) : null;
      return { enabled: service.enabled, model: choice.entry?.id ?? null, installed: choice.installed, reason: choice.reason ?? null, use, ...counts };
    },
    'faces.forget': () => store.forgetAll(),
  };
}
