import type { Db } from '../db/database.js';

export interface TagScore {
  label: string;
  score: number;
}

/**
 * The `tags` table: labels on photos with a score and the source that set them (today only
 * zero-shot CLIP, `zero-shot:<model>`). Every query on it lives here.
 */
export class TagStore {
  constructor(private readonly db: Db) {}

  /** A photo's tags, best first (ties by label). */
  of(photoId: number): TagScore[] {
    return this.db.prepare(`SELECT label, score FROM tags WHERE photo_id = ? ORDER BY score DESC, label`).all(photoId) as TagScore[];
  }

  /** The photos that have at least one tag, in id order. */
  photoIds(): number[] {
    return this.db.prepare(`SELECT DISTINCT photo_id FROM tags ORDER BY photo_id`).pluck().all() as number[];
  }

  /**
   * Keeps, for each photo, the best of `labels` as `source` scored it: the photo's earlier tags
   * from this source among these labels go first (a label that lost its place must not linger),
   * tags from other sources and other labels stay. One transaction.
   */
  saveBest(source: string, labels: readonly string[], best: readonly { photoId: number; label: string; score: number }[]): void {
    const forget = this.db.prepare(`DELETE FROM tags WHERE photo_id = ? AND source = ? AND label IN (SELECT value FROM json_each(?))`);
    const save = this.db.prepare(`INSERT INTO tags (photo_id, label, score, source, created_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (photo_id, label) DO UPDATE SET score = excluded.score, source = excluded.source, created_at = excluded.created_at`);
    const now = Date.now();
    const labelsJson = JSON.stringify(labels);
    this.db.transaction(() => {
      for (const tag of best) {
        forget.run(tag.photoId, source, labelsJson);
        save.run(tag.photoId, tag.label, tag.score, source, now);
      }
    })();
  }
}
