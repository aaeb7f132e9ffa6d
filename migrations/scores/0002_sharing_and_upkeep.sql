-- Featured collections get their own order (an owner's `display_order` orders their own list),
-- and processing records when its current attempt started, so stuck scores can be found.

ALTER TABLE user_collections ADD COLUMN featured_order INTEGER NOT NULL DEFAULT 0;
ALTER TABLE user_collections ADD COLUMN featured_by TEXT;
UPDATE user_collections SET featured_order = display_order WHERE featured_at IS NOT NULL;

ALTER TABLE scores ADD COLUMN processing_started_at TEXT;
