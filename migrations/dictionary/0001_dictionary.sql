-- The dictionary: one row per (term, language) entry, its full-text index, and the tables
-- behind feedback, reports, analytics, embeddings and the AI work queues.

CREATE TABLE dictionary_entries (
  id TEXT PRIMARY KEY,
  term TEXT NOT NULL,
  normalized_term TEXT NOT NULL,
  lang TEXT NOT NULL DEFAULT 'en' CHECK (lang IN ('en','es','fr','de','zh-CN','zh-TW')),
  source_lang TEXT CHECK (source_lang IN ('en','es','fr','de','zh-CN','zh-TW','it','la') OR source_lang IS NULL),
  lang_confidence REAL NOT NULL DEFAULT 1.0 CHECK (lang_confidence BETWEEN 0 AND 1),
  type TEXT NOT NULL CHECK (type IN ('tempo','dynamics','articulation','ornament','form','genre','instrument','technique','theory','composer','period','notation','general')),
  definition TEXT NOT NULL,
  refs TEXT NOT NULL DEFAULT '{}',
  metadata TEXT NOT NULL DEFAULT '{}',
  quality_score TEXT NOT NULL,
  overall_score REAL NOT NULL CHECK (overall_score BETWEEN 0 AND 100),
  -- The term's name in every language, space-separated, for search (kept by the worker).
  names TEXT NOT NULL DEFAULT '',
  search_count INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  version INTEGER NOT NULL DEFAULT 1,
  ai_metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX idx_dictionary_term_lang ON dictionary_entries (normalized_term, lang);
CREATE INDEX idx_dictionary_type ON dictionary_entries (type);
CREATE INDEX idx_dictionary_overall_score ON dictionary_entries (overall_score);
CREATE INDEX idx_dictionary_updated_at ON dictionary_entries (updated_at);
CREATE INDEX idx_dictionary_lang ON dictionary_entries (lang);

-- Prefix, case- and diacritics-insensitive search over names and definitions.
CREATE VIRTUAL TABLE dictionary_fts USING fts5 (
  entry_id UNINDEXED,
  term,
  names,
  definition,
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER dictionary_fts_insert AFTER INSERT ON dictionary_entries BEGIN
  INSERT INTO dictionary_fts (entry_id, term, names, definition)
  VALUES (new.id, new.term, new.names,
          coalesce(json_extract(new.definition, '$.concise'), '') || ' ' || coalesce(json_extract(new.definition, '$.detailed'), ''));
END;
CREATE TRIGGER dictionary_fts_update AFTER UPDATE ON dictionary_entries BEGIN
  DELETE FROM dictionary_fts WHERE entry_id = old.id;
  INSERT INTO dictionary_fts (entry_id, term, names, definition)
  VALUES (new.id, new.term, new.names,
          coalesce(json_extract(new.definition, '$.concise'), '') || ' ' || coalesce(json_extract(new.definition, '$.detailed'), ''));
END;
CREATE TRIGGER dictionary_fts_delete AFTER DELETE ON dictionary_entries BEGIN
  DELETE FROM dictionary_fts WHERE entry_id = old.id;
END;

CREATE TABLE user_feedback (
  id TEXT PRIMARY KEY,
  entry_id TEXT NOT NULL REFERENCES dictionary_entries (id) ON DELETE CASCADE,
  user_id TEXT,
  rating INTEGER CHECK (rating BETWEEN 1 AND 5),
  helpful INTEGER CHECK (helpful IN (0, 1)),
  feedback_text TEXT,
  feedback_type TEXT CHECK (feedback_type IN ('accuracy','clarity','completeness','other')),
  created_at TEXT NOT NULL
);
CREATE INDEX idx_feedback_entry ON user_feedback (entry_id);

-- Reports of wrong or abusive content: their own table, so their kinds never meet the
-- feedback CHECK (the original inserted them into user_feedback and failed).
CREATE TABLE content_reports (
  id TEXT PRIMARY KEY,
  entry_id TEXT NOT NULL REFERENCES dictionary_entries (id) ON DELETE CASCADE,
  user_id TEXT,
  client_ip TEXT,
  issue_type TEXT NOT NULL CHECK (issue_type IN ('incorrect','offensive','spam','copyright','other')),
  description TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','resolved','dismissed')),
  created_at TEXT NOT NULL
);
CREATE INDEX idx_reports_entry ON content_reports (entry_id);

CREATE TABLE search_analytics (
  id TEXT PRIMARY KEY,
  term TEXT NOT NULL,
  normalized_term TEXT NOT NULL,
  found INTEGER NOT NULL,
  entry_id TEXT,
  search_lang TEXT NOT NULL DEFAULT 'en',
  user_id TEXT,
  searched_at TEXT NOT NULL
);
CREATE INDEX idx_search_analytics_term ON search_analytics (normalized_term);
CREATE INDEX idx_search_analytics_at ON search_analytics (searched_at);

CREATE TABLE embeddings (
  entry_id TEXT PRIMARY KEY REFERENCES dictionary_entries (id) ON DELETE CASCADE,
  embedding TEXT NOT NULL,
  model_name TEXT NOT NULL,
  dimensions INTEGER NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE enhancement_queue (
  id TEXT PRIMARY KEY,
  entry_id TEXT NOT NULL REFERENCES dictionary_entries (id) ON DELETE CASCADE,
  priority INTEGER NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
  reason TEXT NOT NULL CHECK (reason IN ('low_score','high_usage','user_request','scheduled','new_entry')),
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','processing','completed','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_enhancement_pending ON enhancement_queue (entry_id) WHERE status = 'pending';

CREATE TABLE seed_queue (
  id TEXT PRIMARY KEY,
  term TEXT NOT NULL,
  languages TEXT NOT NULL,
  type TEXT,
  priority INTEGER NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','processing','completed','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  source TEXT NOT NULL DEFAULT 'manual',
  error_message TEXT,
  created_at TEXT NOT NULL,
  completed_at TEXT
);
CREATE INDEX idx_seed_queue_status ON seed_queue (status, priority DESC);

CREATE TABLE manual_review_queue (
  id TEXT PRIMARY KEY,
  term TEXT NOT NULL,
  generated_content TEXT NOT NULL,
  quality_score REAL NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','reviewing','approved','rejected')),
  reviewer_notes TEXT,
  reviewed_at TEXT,
  reviewed_by TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX idx_review_status ON manual_review_queue (status);

CREATE TABLE ai_token_usage (
  date TEXT NOT NULL,
  model TEXT NOT NULL,
  tokens_used INTEGER NOT NULL DEFAULT 0,
  terms_processed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (date, model)
);
