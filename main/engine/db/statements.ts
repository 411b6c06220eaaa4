import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

/**
 * Prepares each SQL text once per connection: preparing per call compiles the statement again for
 * every file of a 100k-file index. (Measured: it is not where the index's memory went; that was
 * exifr.) Each SQL text must always be used in one mode (plain, pluck or raw), since those flags
 * stay set on the shared statement.
 */
export class StatementCache {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Db) {}

  get(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
