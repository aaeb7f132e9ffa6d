-- The sheet-music library: scores, their rendered pages, user collections, favourites, and the
-- full-text index that search reads. Column names follow the original scores database (§2.2).

CREATE TABLE scores (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  composer TEXT NOT NULL,
  opus TEXT,
  movement TEXT,
  instrument TEXT NOT NULL DEFAULT 'piano' CHECK (instrument IN ('piano', 'guitar', 'both')),
  difficulty TEXT NOT NULL DEFAULT 'intermediate' CHECK (difficulty IN ('beginner', 'intermediate', 'advanced')),
  difficulty_level INTEGER CHECK (difficulty_level BETWEEN 1 AND 10),
  grade_level TEXT,
  duration_seconds INTEGER,
  time_signature TEXT,
  key_signature TEXT,
  tempo_marking TEXT,
  suggested_tempo INTEGER,
  style_period TEXT CHECK (style_period IN ('baroque', 'classical', 'romantic', 'modern', 'contemporary')),
  source TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('imslp', 'upload', 'generated', 'manual')),
  imslp_url TEXT,
  tags TEXT NOT NULL DEFAULT '[]',
  metadata TEXT NOT NULL DEFAULT '{}',
  slug TEXT NOT NULL,
  pdf_url TEXT,
  r2_key TEXT,
  file_size_bytes INTEGER,
  content_sha256 TEXT,
  user_id TEXT,
  visibility TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'public', 'unlisted')),
  source_type TEXT NOT NULL DEFAULT 'pdf' CHECK (source_type IN ('pdf', 'image', 'multi-image')),
  source_url TEXT,
  page_count INTEGER NOT NULL DEFAULT 1,
  subject TEXT,
  extracted_text TEXT,
  processing_status TEXT NOT NULL DEFAULT 'pending' CHECK (processing_status IN ('pending', 'processing', 'completed', 'failed')),
  processing_error TEXT,
  processing_attempts INTEGER NOT NULL DEFAULT 0,
  thumbnail_key TEXT,
  normalized_id TEXT NOT NULL,
  view_count INTEGER NOT NULL DEFAULT 0,
  download_count INTEGER NOT NULL DEFAULT 0,
  imported_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE INDEX idx_scores_user_id ON scores (user_id);
CREATE INDEX idx_scores_visibility ON scores (visibility);
CREATE INDEX idx_scores_created_at ON scores (created_at);
CREATE INDEX idx_scores_slug ON scores (slug);
CREATE INDEX idx_scores_normalized_id ON scores (normalized_id);
CREATE INDEX idx_scores_processing_status ON scores (processing_status);
CREATE INDEX idx_scores_imslp_url ON scores (imslp_url);

CREATE TABLE score_pages (
  id TEXT PRIMARY KEY,
  score_id TEXT NOT NULL REFERENCES scores (id) ON DELETE CASCADE,
  page_number INTEGER NOT NULL,
  r2_key TEXT NOT NULL,
  width INTEGER,
  height INTEGER,
  file_size_bytes INTEGER,
  mime_type TEXT NOT NULL CHECK (mime_type IN ('image/png', 'image/jpeg')),
  created_at TEXT NOT NULL,
  UNIQUE (score_id, page_number)
);

CREATE TABLE user_collections (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  slug TEXT NOT NULL,
  visibility TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'public', 'unlisted')),
  is_default INTEGER NOT NULL DEFAULT 0,
  collection_type TEXT NOT NULL DEFAULT 'personal' CHECK (collection_type IN ('personal', 'professional', 'platform')),
  tags TEXT NOT NULL DEFAULT '[]',
  shared_with TEXT NOT NULL DEFAULT '[]',
  featured_at TEXT,
  display_order INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (user_id, slug)
);

CREATE INDEX idx_user_collections_featured ON user_collections (featured_at);

CREATE TABLE collection_members (
  collection_id TEXT NOT NULL REFERENCES user_collections (id) ON DELETE CASCADE,
  score_id TEXT NOT NULL REFERENCES scores (id) ON DELETE CASCADE,
  display_order INTEGER NOT NULL DEFAULT 0,
  added_at TEXT NOT NULL,
  PRIMARY KEY (collection_id, score_id)
);

CREATE INDEX idx_collection_members_score ON collection_members (score_id);

CREATE TABLE user_score_favorites (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  score_id TEXT NOT NULL REFERENCES scores (id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  UNIQUE (user_id, score_id)
);

-- Full-text search over what a musician types: title, composer, opus, tags and the text the
-- processor extracted from the PDF. Diacritics-insensitive; kept in step by triggers.
CREATE VIRTUAL TABLE scores_fts USING fts5 (
  title, composer, opus, tags, extracted_text,
  content = 'scores', content_rowid = 'rowid',
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER scores_fts_insert AFTER INSERT ON scores BEGIN
  INSERT INTO scores_fts (rowid, title, composer, opus, tags, extracted_text)
  VALUES (new.rowid, new.title, new.composer, new.opus, new.tags, new.extracted_text);
END;

CREATE TRIGGER scores_fts_delete AFTER DELETE ON scores BEGIN
  INSERT INTO scores_fts (scores_fts, rowid, title, composer, opus, tags, extracted_text)
  VALUES ('delete', old.rowid, old.title, old.composer, old.opus, old.tags, old.extracted_text);
END;

CREATE TRIGGER scores_fts_update AFTER UPDATE OF title, composer, opus, tags, extracted_text ON scores BEGIN
  INSERT INTO scores_fts (scores_fts, rowid, title, composer, opus, tags, extracted_text)
  VALUES ('delete', old.rowid, old.title, old.composer, old.opus, old.tags, old.extracted_text);
  INSERT INTO scores_fts (rowid, title, composer, opus, tags, extracted_text)
  VALUES (new.rowid, new.title, new.composer, new.opus, new.tags, new.extracted_text);
END;

-- Featured platform collections owned by the platform ('system'); scores join them as the
-- platform publishes them.
INSERT INTO user_collections (id, user_id, name, description, slug, visibility, collection_type, featured_at, display_order, created_at, updated_at) VALUES
  ('featured-piano-beginner', 'system', 'Beginner Piano', 'Public-domain pieces for the first years at the piano', 'featured-piano-beginner', 'public', 'platform', '2026-01-01T00:00:00Z', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
  ('featured-baroque', 'system', 'Baroque Essentials', 'Bach, Handel and their contemporaries', 'featured-baroque', 'public', 'platform', '2026-01-01T00:00:00Z', 2, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
  ('featured-guitar', 'system', 'Classical Guitar', 'Sor, Giuliani, Tárrega and more', 'featured-guitar', 'public', 'platform', '2026-01-01T00:00:00Z', 3, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
