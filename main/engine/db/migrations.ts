import { placeOf } from '../library/places.js';
import type { Database } from 'better-sqlite3';

/**
 * Numbered schema migrations. Each runs once, in its own transaction, and bumps
 * `PRAGMA user_version` to its number. Never edit a migration that has shipped:
 * add the next number instead.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'folders, photos and their locations',
    up(db) {
      db.exec(`
        CREATE TABLE folders (
          id          INTEGER PRIMARY KEY,
          path        TEXT NOT NULL UNIQUE,
          added_at    INTEGER NOT NULL,
          scanned_at  INTEGER,
          last_error  TEXT
        );

        -- A photo is its bytes: one row per distinct sha256. Everything a person attaches to a photo
        -- (tags, captions, edits) hangs off photos.id, so it survives moves and renames.
        CREATE TABLE photos (
          id           INTEGER PRIMARY KEY,
          hash         TEXT NOT NULL UNIQUE,
          size         INTEGER NOT NULL,
          status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ok', 'failed')),
          error        TEXT,
          format       TEXT,
          width        INTEGER,
          height       INTEGER,
          orientation  INTEGER,
          taken_at     TEXT,
          taken_at_source TEXT CHECK (taken_at_source IN ('exif', 'mtime')),
          camera_make  TEXT,
          camera_model TEXT,
          lens         TEXT,
          gps_lat      REAL,
          gps_lon      REAL,
          gps_alt      REAL,
          added_at     INTEGER NOT NULL,
          -- Set when the last location disappears; the photo is hidden and kept for a grace period
          -- so that a move seen as delete-then-add keeps its id and everything attached to it.
          orphaned_at  INTEGER
        );

        -- Where a photo's bytes are on disk now. The same bytes at two paths: one photo, two locations.
        CREATE TABLE locations (
          id         INTEGER PRIMARY KEY,
          photo_id   INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
          folder_id  INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
          path       TEXT NOT NULL UNIQUE,
          size       INTEGER NOT NULL,
          mtime_ms   INTEGER NOT NULL,
          added_at   INTEGER NOT NULL
        );
        CREATE INDEX locations_photo ON locations(photo_id);
        CREATE INDEX locations_folder ON locations(folder_id);
        CREATE INDEX photos_orphaned ON photos(orphaned_at) WHERE orphaned_at IS NOT NULL;
      `);
    },
  },
  {
    version: 2,
    name: 'persistent job queue',
    up(db) {
      db.exec(`
        CREATE TABLE jobs (
          id          INTEGER PRIMARY KEY,
          kind        TEXT NOT NULL,
          photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
          state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
          attempts    INTEGER NOT NULL DEFAULT 0,
          error       TEXT,
          -- The process working on a running job; a job whose owner is gone is taken up again.
          owner_pid   INTEGER,
          claimed_at  INTEGER,
          updated_at  INTEGER NOT NULL,
          UNIQUE (kind, photo_id)
        );
        -- claim() takes pending jobs oldest first: (state, id) serves that without a sort, which
        -- matters when a first index queues 100k jobs.
        CREATE INDEX jobs_by_state ON jobs(state, id);
      `);
    },
  },
  {
    version: 3,
    name: 'event log and settings',
    up(db) {
      db.exec(`
        -- Problems that are not a photo's own (a watcher error, an unreadable folder), kept to show the user.
        CREATE TABLE problems (
          id       INTEGER PRIMARY KEY,
          at       INTEGER NOT NULL,
          scope    TEXT NOT NULL,
          path     TEXT,
          message  TEXT NOT NULL
        );
        CREATE TABLE settings (
          key    TEXT PRIMARY KEY,
          value  TEXT NOT NULL
        );
      `);
    },
  },
  {
    version: 4,
    name: 'embedding tables and tags',
    up(db) {
      db.exec(`
        -- One vec0 table per embedding model (created when the model first embeds; see
        -- search/vector-store.ts). This registry says which table belongs to which model and its width.
        CREATE TABLE embedding_models (
          model_id    TEXT PRIMARY KEY,
          table_name  TEXT NOT NULL UNIQUE,
          dim         INTEGER NOT NULL,
          created_at  INTEGER NOT NULL
        );
        -- Labels on a photo: zero-shot CLIP tags (score = probability among the labels asked).
        CREATE TABLE tags (
          photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
          label       TEXT NOT NULL,
          score       REAL NOT NULL,
          source      TEXT NOT NULL,
          created_at  INTEGER NOT NULL,
          PRIMARY KEY (photo_id, label)
        );
        CREATE INDEX tags_by_label ON tags(label, score);
      `);
    },
  },
  {
    version: 5,
    name: 'captions (with full-text search) and conversations about photos',
    up(db) {
      db.exec(`
        -- One caption per photo: the latest generated one, or the one a person wrote. edited = 1 marks
        -- a person's caption, which a later batch never overwrites.
        CREATE TABLE captions (
          photo_id    INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
          text        TEXT NOT NULL,
          model       TEXT NOT NULL,
          detail      TEXT NOT NULL CHECK (detail IN ('brief', 'detailed')),
          edited      INTEGER NOT NULL DEFAULT 0 CHECK (edited IN (0, 1)),
          created_at  INTEGER NOT NULL,
          updated_at  INTEGER NOT NULL
        );
        -- Full-text index over captions (an external-content FTS5 table kept in step by triggers).
        -- unicode61 splits on spaces and punctuation and folds case and diacritics; it does not
        -- segment Chinese or Japanese, so search/caption-search.ts matches those by substring.
        ${textIndex('captions')}

        -- Questions and answers about a photo, kept per photo. provider: 'local' or 'endpoint'.
        CREATE TABLE conversations (
          id          INTEGER PRIMARY KEY,
          photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
          provider    TEXT NOT NULL CHECK (provider IN ('local', 'endpoint')),
          model       TEXT NOT NULL,
          title       TEXT NOT NULL,
          created_at  INTEGER NOT NULL,
          updated_at  INTEGER NOT NULL
        );
        CREATE INDEX conversations_by_photo ON conversations(photo_id, updated_at);
        CREATE TABLE messages (
          id               INTEGER PRIMARY KEY,
          conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
          role             TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
          text             TEXT NOT NULL,
          -- For answers: which model, how it ended (stop, length, cancelled) and how many tokens.
          model            TEXT,
          finish           TEXT CHECK (finish IN ('stop', 'length', 'cancelled')),
          tokens           INTEGER,
          created_at       INTEGER NOT NULL
        );
        CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
      `);
    },
  },
  {
    version: 6,
    name: 'edits and generations, with every parameter that made them',
    up(db) {
      db.exec(`
        -- A finished edit or generation: a new file Iris wrote (never over a photo), the photo it was
        -- made from (null for txt2img, or once that photo is forgotten), and in params every setting
        -- that made it (model, scheduler, seed, steps, guidance, strength, prompts ... as JSON,
        -- checked by edits/edit-params.ts), so \`iris edit --repeat <id>\` makes the same image.
        CREATE TABLE edits (
          id               INTEGER PRIMARY KEY,
          source_photo_id  INTEGER REFERENCES photos(id) ON DELETE SET NULL,
          mode             TEXT NOT NULL CHECK (mode IN ('txt2img', 'img2img', 'canny', 'instruct')),
          params           TEXT NOT NULL CHECK (json_valid(params)),
          output_path      TEXT NOT NULL,
          -- The output once the library has read it (it lives in a library folder).
          output_photo_id  INTEGER REFERENCES photos(id) ON DELETE SET NULL,
          created_at       INTEGER NOT NULL,
          duration_ms      INTEGER NOT NULL
        );
        CREATE INDEX edits_by_source ON edits(source_photo_id, created_at);
      `);
    },
  },
  {
    version: 7,
    name: 'jobs are owned by a process instance under a renewed lease, not by a PID alone',
    up(db) {
      db.exec(`
        -- owner_pid alone mistook a reused PID (after a reboot, or a zombie) for the dead owner:
        -- its jobs stayed 'running' for ever. owner names one process instance (host, pid and a
        -- random part, jobs/queue.ts), which renews lease_until while it works; a running job
        -- whose lease has run out, or whose owner on this host is gone, is taken up again.
        ALTER TABLE jobs ADD COLUMN owner TEXT;
        ALTER TABLE jobs ADD COLUMN lease_until INTEGER;
      `);
    },
  },
  {
    version: 8,
    name: 'file, folder and camera names searchable',
    up(db) {
      db.exec(`
        -- One row per location (rowid = locations.id): its file name, its folders below the library
        -- folder it is in, and the photo's camera and lens, for the search box (search/name-search.ts).
        -- porter: "screenshots" finds "Screenshot_2024…"; unicode61 splits "IMG_0042-paris.jpg" at _ - .
        CREATE VIRTUAL TABLE search_names USING fts5(file, folder, camera, photo_id UNINDEXED, tokenize = 'porter unicode61 remove_diacritics 2');
        -- Kept by triggers, so every writer (engine, CLI, another process) keeps it right. The file
        -- name is what follows the last separator (/ or a backslash); the folder is the rest below the library folder.
        CREATE VIEW search_names_source AS
          SELECT l.id AS location_id, l.photo_id AS photo_id,
                 ${sqlBasename('l.path')} AS file,
                 substr(${sqlDirname('l.path')}, length(f.path) + 2) AS folder,
                 trim(coalesce(p.camera_make, '') || ' ' || coalesce(p.camera_model, '') || ' ' || coalesce(p.lens, '')) AS camera
          FROM locations l JOIN folders f ON f.id = l.folder_id JOIN photos p ON p.id = l.photo_id;
        INSERT INTO search_names(rowid, file, folder, camera, photo_id) SELECT location_id, file, folder, camera, photo_id FROM search_names_source;
        CREATE TRIGGER search_names_location_added AFTER INSERT ON locations BEGIN
          INSERT INTO search_names(rowid, file, folder, camera, photo_id) SELECT location_id, file, folder, camera, photo_id FROM search_names_source WHERE location_id = NEW.id;
        END;
        CREATE TRIGGER search_names_location_changed AFTER UPDATE OF path, photo_id, folder_id ON locations BEGIN
          DELETE FROM search_names WHERE rowid = OLD.id;
          INSERT INTO search_names(rowid, file, folder, camera, photo_id) SELECT location_id, file, folder, camera, photo_id FROM search_names_source WHERE location_id = NEW.id;
        END;
        CREATE TRIGGER search_names_location_removed AFTER DELETE ON locations BEGIN
          DELETE FROM search_names WHERE rowid = OLD.id;
        END;
        CREATE TRIGGER search_names_camera_read AFTER UPDATE OF camera_make, camera_model, lens ON photos BEGIN
          DELETE FROM search_names WHERE rowid IN (SELECT id FROM locations WHERE photo_id = NEW.id);
          INSERT INTO search_names(rowid, file, folder, camera, photo_id) SELECT location_id, file, folder, camera, photo_id FROM search_names_source WHERE photo_id = NEW.id;
        END;
      `);
    },
  },
  {
    version: 9,
    name: 'text read in photos, searchable',
    up(db) {
      db.exec(`
        -- The text written in a photo (signs, documents, screenshots) as an OCR model read it, one
        -- row per photo; an empty text means it was read and has none (not read again).
        CREATE TABLE photo_text (
          photo_id    INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
          text        TEXT NOT NULL,
          model       TEXT NOT NULL,
          updated_at  INTEGER NOT NULL
        );
        -- Indexed like captions (migration 5): unicode61 words, Chinese and Japanese by substring.
        ${textIndex('photo_text')}
      `);
    },
  },
  {
    version: 10,
    name: 'place names from GPS, searchable',
    up(db) {
      db.exec(`
        -- The place a photo's GPS position is in, named offline (library/places.ts):
        -- "Neuilly-sur-Seine, Paris, France 法国". Null without GPS or far from any town.
        ALTER TABLE photos ADD COLUMN place TEXT;
        CREATE VIRTUAL TABLE photos_place_fts USING fts5(place, content = 'photos', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
        INSERT INTO photos_place_fts (rowid, place) SELECT id, coalesce(place, '') FROM photos;
        -- Every photo has its row (empty without a place), so a delete always names what was indexed.
        CREATE TRIGGER photos_place_fts_insert AFTER INSERT ON photos BEGIN
          INSERT INTO photos_place_fts (rowid, place) VALUES (new.id, coalesce(new.place, ''));
        END;
        CREATE TRIGGER photos_place_fts_update AFTER UPDATE OF place ON photos BEGIN
          INSERT INTO photos_place_fts (photos_place_fts, rowid, place) VALUES ('delete', old.id, coalesce(old.place, ''));
          INSERT INTO photos_place_fts (rowid, place) VALUES (new.id, coalesce(new.place, ''));
        END;
        CREATE TRIGGER photos_place_fts_delete AFTER DELETE ON photos BEGIN
          INSERT INTO photos_place_fts (photos_place_fts, rowid, place) VALUES ('delete', old.id, coalesce(old.place, ''));
        END;
      `);
      // Photos read before this version: their places from the GPS already stored.
      const update = db.prepare(`UPDATE photos SET place = ? WHERE id = ?`);
      for (const row of db.prepare(`SELECT id, gps_lat AS lat, gps_lon AS lon FROM photos WHERE gps_lat IS NOT NULL AND gps_lon IS NOT NULL`).all() as { id: number; lat: number; lon: number }[]) {
        update.run(placeOf(row.lat, row.lon)?.label ?? null, row.id);
      }
    },
  },
  {
    version: 11,
    name: 'the cameras and places a library knows, for search chips',
    up(db) {
      db.exec(`
        -- search/library-words.ts reads the distinct cameras and places on every search: these
        -- indexes let it read them without a pass over every photo.
        CREATE INDEX photos_camera ON photos (camera_make, camera_model) WHERE camera_model IS NOT NULL OR camera_make IS NOT NULL;
        CREATE INDEX photos_place ON photos (place) WHERE place IS NOT NULL;
      `);
    },
  },
  {
    version: 12,
    name: 'places name their region',
    up(db) {
      // Places named before regions were (migration 10) are named again from their GPS.
      const update = db.prepare(`UPDATE photos SET place = ? WHERE id = ?`);
      for (const row of db.prepare(`SELECT id, gps_lat AS lat, gps_lon AS lon FROM photos WHERE place IS NOT NULL`).all() as { id: number; lat: number; lon: number }[]) {
        update.run(placeOf(row.lat, row.lon)?.label ?? null, row.id);
      }
    },
  },
  {
    version: 13,
    name: 'faces and people',
    up(db) {
      db.exec(`
        -- People: what the person named, merged and chose (faces/people-store.ts). Never rewritten by clustering.
        CREATE TABLE people (
          id            INTEGER PRIMARY KEY,
          name          TEXT,
          hidden        INTEGER NOT NULL DEFAULT 0,
          cover_face_id INTEGER,
          created_at    INTEGER NOT NULL,
          updated_at    INTEGER NOT NULL
        );
        -- Faces found in a photo by a face model (or drawn by hand: model 'manual'), in fractions of
        -- the upright photo. assigned_by: 'auto' (clustering may set person_id) or 'user' (the
        -- person chose, clustering never touches it: a face moved, or taken out of a person).
        CREATE TABLE faces (
          id           INTEGER PRIMARY KEY,
          photo_id     INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
          model        TEXT NOT NULL,
          x            REAL NOT NULL,
          y            REAL NOT NULL,
          w            REAL NOT NULL,
          h            REAL NOT NULL,
          keypoints    TEXT,
          score        REAL NOT NULL,
          embedding    BLOB,
          person_id    INTEGER REFERENCES people(id) ON DELETE SET NULL,
          assigned_by  TEXT NOT NULL DEFAULT 'auto' CHECK (assigned_by IN ('auto', 'user')),
          not_face     INTEGER NOT NULL DEFAULT 0,
          created_at   INTEGER NOT NULL
        );
        CREATE INDEX faces_photo ON faces (photo_id);
        CREATE INDEX faces_person ON faces (person_id) WHERE person_id IS NOT NULL;
        -- Photos a face model has looked at (found faces or none): what the face job skips.
        CREATE TABLE face_scans (
          photo_id   INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
          model      TEXT NOT NULL,
          faces      INTEGER NOT NULL,
          scanned_at INTEGER NOT NULL,
          PRIMARY KEY (photo_id, model)
        );
        -- (A file whose bytes change becomes another photo, with its own id: it is scanned anew, and
        -- a moved file keeps its photo id, so its faces stay.)
      `);
    },
  },
  {
    version: 14,
    name: 'organise: marks, keywords, albums',
    up(db) {
      db.exec(`
        -- What the person says about a photo (library/organise-store.ts): a heart, 0-5 stars, reject,
        -- a colour label, and "hidden" (a duplicate they chose not to keep: out of the grid and
        -- search, never deleted). source: who set them last, 'user' (in Iris) or 'xmp' (read from
        -- the photo's XMP: another app). One row per photo that has any.
        CREATE TABLE photo_marks (
          photo_id   INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
          favourite  INTEGER NOT NULL DEFAULT 0,
          rating     INTEGER NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
          rejected   INTEGER NOT NULL DEFAULT 0,
          label      TEXT CHECK (label IN ('red', 'yellow', 'green', 'blue', 'purple')),
          hidden_at  INTEGER,
          source     TEXT NOT NULL DEFAULT 'user',
          updated_at INTEGER NOT NULL
        );
        CREATE INDEX photo_marks_rating ON photo_marks (rating) WHERE rating > 0;
        CREATE INDEX photo_marks_hidden ON photo_marks (photo_id) WHERE hidden_at IS NOT NULL;
        -- Keywords (dc:subject), with the hierarchy Lightroom keeps (lr:hierarchicalSubject
        -- "Places|France|Paris") when there is one. source 'user' or 'xmp'.
        CREATE TABLE photo_keywords (
          photo_id  INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
          keyword   TEXT NOT NULL COLLATE NOCASE,
          hierarchy TEXT,
          source    TEXT NOT NULL,
          PRIMARY KEY (photo_id, keyword)
        ) WITHOUT ROWID;
        CREATE INDEX photo_keywords_keyword ON photo_keywords (keyword);
        -- The keywords' words for the search box, one row per photo (rowid photo_id), kept by the store.
        CREATE VIRTUAL TABLE photo_keywords_fts USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
        CREATE TRIGGER photo_keywords_fts_photo AFTER DELETE ON photos BEGIN
          DELETE FROM photo_keywords_fts WHERE rowid = old.id;
        END;
        -- What was last read from a photo's XMP (sidecar or embedded), so a sidecar changed on disk
        -- is read again and one that did not is not.
        CREATE TABLE xmp_reads (
          photo_id   INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
          signature  TEXT NOT NULL,
          read_at    INTEGER NOT NULL
        );
        -- Each sidecar as it was when last read (size, mtime): a rescan passes an unchanged one with a
        -- stat and this lookup, as it passes unchanged photos (locations.size, mtime_ms).
        CREATE TABLE xmp_sidecars (
          path     TEXT PRIMARY KEY,
          size     INTEGER NOT NULL,
          mtime_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- Albums: Iris data only, they never change the files. sort 'date' (capture time, newest
        -- first) or 'manual' (album_photos.position).
        CREATE TABLE albums (
          id             INTEGER PRIMARY KEY,
          name           TEXT NOT NULL,
          sort           TEXT NOT NULL DEFAULT 'date' CHECK (sort IN ('date', 'manual')),
          cover_photo_id INTEGER REFERENCES photos(id) ON DELETE SET NULL,
          created_at     INTEGER NOT NULL,
          updated_at     INTEGER NOT NULL
        );
        CREATE TABLE album_photos (
          album_id INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
          photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
          position REAL NOT NULL,
          added_at INTEGER NOT NULL,
          PRIMARY KEY (album_id, photo_id)
        ) WITHOUT ROWID;
        CREATE INDEX album_photos_photo ON album_photos (photo_id);
      `);
    },
  },
];

/**
 * An external-content FTS5 index `<table>_fts` over `<table>.text` (rowid photo_id), kept in step
 * by triggers: the captions' (migration 5) and the text read in photos' (migration 9).
 */
function textIndex(table: string): string {
  const fts = `${table}_fts`;
  return `CREATE VIRTUAL TABLE ${fts} USING fts5(text, content = '${table}', content_rowid = 'photo_id', tokenize = 'unicode61 remove_diacritics 2');
        CREATE TRIGGER ${fts}_insert AFTER INSERT ON ${table} BEGIN
          INSERT INTO ${fts} (rowid, text) VALUES (new.photo_id, new.text);
        END;
        CREATE TRIGGER ${fts}_delete AFTER DELETE ON ${table} BEGIN
          INSERT INTO ${fts} (${fts}, rowid, text) VALUES ('delete', old.photo_id, old.text);
        END;
        CREATE TRIGGER ${fts}_update AFTER UPDATE OF text ON ${table} BEGIN
          INSERT INTO ${fts} (${fts}, rowid, text) VALUES ('delete', old.photo_id, old.text);
          INSERT INTO ${fts} (rowid, text) VALUES (new.photo_id, new.text);
        END;`;
}

/**
 * SQL for the part of a path after its last separator (/ or \): rtrim strips every character that is
 * not a separator from the end, which leaves the directory part; what follows it is the name.
 */
function sqlBasename(path: string): string {
  return `substr(${path}, length(${sqlDirname(path)}) + 1)`;
}

/** SQL for the part of a path up to and including its last separator (/ or \). */
function sqlDirname(path: string): string {
  return `rtrim(${path}, replace(replace(${path}, '/', ''), '\\', ''))`;
}

export const latestVersion = migrations.reduce((max, m) => Math.max(max, m.version), 0);

/**
 * Brings the database up to `target` (default: latest). Safe when two processes open a new
 * library at once: the version is read again inside an IMMEDIATE transaction, so only one of them
 * applies each step.
 */
export function migrate(db: Database, target = latestVersion): void {
  for (const migration of migrations) {
    if (migration.version > target) break;
    const apply = db.transaction(() => {
      const current = db.pragma('user_version', { simple: true }) as number;
      if (current >= migration.version) return;
      if (current !== migration.version - 1) {
        throw new Error(`library schema is at version ${current}; cannot apply migration ${migration.version}`);
      }
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    });
    apply.immediate();
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > latestVersion) {
    throw new Error(`library was made by a newer Iris (schema ${version}, this Iris knows up to ${latestVersion}); update Iris`);
  }
}
