import type { Db } from '../db/database.js';
import { StatementCache } from '../db/statements.js';
import type { ChatMessage, FinishReason } from './types.js';

export interface StoredMessage extends ChatMessage {
  id: number;
  model: string | null;
  finish: FinishReason | null;
  tokens: number | null;
  createdAt: number;
}

export interface Conversation {
  id: number;
  photoId: number;
  provider: 'local' | 'endpoint';
  model: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  messageCount: number;
}

const SELECT = `SELECT c.id, c.photo_id AS photoId, c.provider, c.model, c.title, c.created_at AS createdAt, c.updated_at AS updatedAt,
  (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS messageCount FROM conversations c`;

/** Conversations about photos (migration 5): each a photo, who answered, and its turns in order. */
export class ConversationStore {
  private readonly statements: StatementCache;

  constructor(private readonly db: Db) {
    this.statements = new StatementCache(db);
  }

  /** A new conversation, titled by its first question (cut to 80 characters). */
  create(photoId: number, provider: 'local' | 'endpoint', model: string, firstQuestion: string): Conversation {
    const now = Date.now();
    const title = firstQuestion.trim().replace(/\s+/g, ' ').slice(0, 80);
    const id = Number(this.statements.get(`INSERT INTO conversations (photo_id, provider, model, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`).run(photoId, provider, model, title, now, now).lastInsertRowid);
    return this.get(id)!;
  }

  get(id: number): Conversation | undefined {
    return this.statements.get(`${SELECT} WHERE c.id = ?`).get(id) as Conversation | undefined;
  }

  /** Conversations about one photo (or all), latest first. */
  list(photoId?: number): Conversation[] {
    return (photoId === undefined ? this.statements.get(`${SELECT} ORDER BY c.updated_at DESC, c.id DESC`).all() : this.statements.get(`${SELECT} WHERE c.photo_id = ? ORDER BY c.updated_at DESC, c.id DESC`).all(photoId)) as Conversation[];
  }

  messages(conversationId: number): StoredMessage[] {
    return this.statements
      .get(`SELECT id, role, text, model, finish, tokens, created_at AS createdAt FROM messages WHERE conversation_id = ? ORDER BY id`)
      .all(conversationId) as StoredMessage[];
  }

  /** The turns as a provider takes them (a cancelled answer's partial text included: it was shown). */
  history(conversationId: number): ChatMessage[] {
    return this.messages(conversationId).map(({ role, text }) => ({ role, text }));
  }

  /** Adds a question and its answer in one transaction, so a conversation never ends with a question that has no answer. */
  addTurn(conversationId: number, question: string, answer: { text: string; model: string; finish: FinishReason; tokens: number }): void {
    const now = Date.now();
    this.db
      .transaction(() => {
        const insert = this.statements.get(`INSERT INTO messages (conversation_id, role, text, model, finish, tokens, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`);
        insert.run(conversationId, 'user', question, null, null, null, now);
        insert.run(conversationId, 'assistant', answer.text, answer.model, answer.finish, answer.tokens, now);
        this.statements.get(`UPDATE conversations SET updated_at = ?, model = ? WHERE id = ?`).run(now, answer.model, conversationId);
      })
      .immediate();
  }

  delete(id: number): boolean {
    return this.statements.get(`DELETE FROM conversations WHERE id = ?`).run(id).changes > 0;
  }
}
