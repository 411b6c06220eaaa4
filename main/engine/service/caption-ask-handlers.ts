import type { Conversation } from '../ask/conversation-store.js';
import type { Caption } from '../captions/caption-store.js';
import { NotFoundError } from '../errors.js';
import { Captioner } from '../generation/captioner.js';
import type { ModelEntry } from '../models/catalog.js';
import { getSettingValue } from '../settings.js';
import type { EngineHandlers, HandlerContext } from './handler-context.js';

type CaptionAskCall =
  | 'captions.status'
  | 'captions.get'
  | 'captions.textInPhoto'
  | 'captions.generate'
  | 'captions.readText'
  | 'captions.save'
  | 'captions.queue'
  | 'ask.status'
  | 'ask.send'
  | 'ask.useKey'
  | 'streams.cancel'
  | 'conversations.list'
  | 'conversations.get'
  | 'conversations.delete';

/** A caption as the UI sees it (the photo id is the call's own argument). */
function captionView(caption: Caption | undefined): { text: string; model: string; detail: Caption['detail']; edited: boolean; updatedAt: number } | null {
  return caption ? { text: caption.text, model: caption.model, detail: caption.detail, edited: caption.edited, updatedAt: caption.updatedAt } : null;
}

function readsText(entry: ModelEntry): boolean {
  try {
    Captioner.ocrTask(entry);
    return true;
  } catch {
    return false;
  }
}

function existingConversation(context: HandlerContext, id: number): Conversation {
  const conversation = context.engine.ask.conversations.get(id);
  if (!conversation) throw new NotFoundError(`no conversation ${id}`);
  return conversation;
}

/** Captions and questions about photos (issue 5): the calls behind the viewer's caption section and Ask tab. */
export function captionAskHandlers(context: HandlerContext): Pick<EngineHandlers, CaptionAskCall> {
  const engine = context.engine;
  const photoMustExist = (photoId: number): void => void engine.store.requirePhoto(photoId);
  return {
    'captions.status': () => {
      const choice = engine.captions.choice();
      const counts = engine.captionStore.counts();
      return {
        model: choice.entry?.id ?? null,
        installed: choice.installed,
        reason: choice.installed ? null : (choice.reason ?? 'no captioning model'),
        missingModel: choice.missing ?? null,
        detail: getSettingValue(engine.store, 'caption-detail'),
        readsText: choice.entry !== undefined && readsText(choice.entry),
        captioned: counts.captioned,
        edited: counts.edited,
        photos: engine.store.counts().ok,
      };
    },
    'captions.get': ({ photoId }) => {
      photoMustExist(photoId);
      return captionView(engine.captionStore.get(photoId));
    },
    'captions.textInPhoto': ({ photoId }) => {
      photoMustExist(photoId);
      const read = engine.photoText.get(photoId);
      return read ? { text: read.text, model: read.model, updatedAt: read.updatedAt } : null;
    },
    'captions.generate': ({ photoId, streamId, detail, replaceEdited }) => {
      photoMustExist(photoId);
      return context.streams.run(streamId, async (signal, onToken) => {
        const { caption, result, model } = await engine.captions.generate(photoId, { detail, replaceEdited, signal, onToken });
        return {
          caption: captionView(caption),
          text: result.text,
          generation: { finish: result.finish, tokens: result.tokens, model, firstTokenMs: result.firstTokenMs, totalMs: result.totalMs },
        };
      });
    },
    'captions.readText': ({ photoId, streamId }) => {
      photoMustExist(photoId);
      return context.streams.run(streamId, async (signal, onToken) => {
        const { text, stored, finish, tokens, model, firstTokenMs, totalMs } = await engine.captions.readText(photoId, { signal, onToken });
        return { text: text.trim(), stored, generation: { finish, tokens, model, firstTokenMs, totalMs } };
      });
    },
    'captions.save': ({ photoId, text }) => {
      photoMustExist(photoId);
      const caption = engine.captionStore.putEdited(photoId, text);
      if (caption) engine.emit('caption', { photoId, text: caption.text, model: caption.model });
      return captionView(caption);
    },
    'captions.queue': ({ photoIds, detail, redo }) => {
      const queued = engine.captions.queue(photoIds ?? 'all', { detail, redo });
      if (queued.queued > 0) context.workQueueInBackground();
      return queued;
    },
    'ask.status': () => engine.ask.status(context.endpointKey() !== null),
    'ask.send': ({ photoId, question, streamId, conversationId }) => {
      photoMustExist(photoId);
      return context.streams.run(streamId, async (signal, onToken) => {
        const { conversation, answer } = await engine.ask.ask(photoId, question, { conversationId, apiKey: context.endpointKey() ?? undefined, signal, onToken });
        const { text, finish, tokens, model, firstTokenMs, totalMs } = answer;
        return { conversation, text, generation: { finish, tokens, model, firstTokenMs, totalMs } };
      });
    },
    'ask.useKey': ({ key }) => {
      context.useEndpointKey(key);
      return { ok: true };
    },
    'streams.cancel': ({ streamId }) => ({ cancelled: context.streams.cancel(streamId) }),
    'conversations.list': ({ photoId }) => engine.ask.conversations.list(photoId),
    'conversations.get': ({ id }) => {
      const conversation = existingConversation(context, id);
      const messages = engine.ask.conversations.messages(id).map(({ id: messageId, role, text, model, finish, createdAt }) => ({ id: messageId, role, text, model, finish, createdAt }));
      return { conversation, messages };
    },
    'conversations.delete': ({ id }) => ({ deleted: engine.ask.conversations.delete(id) }),
  };
}
