-- Unlisted collections are reached by their link alone, so their slug must not be guessable
-- from their name: give every existing one 128 random bits (the shape core's
-- scores::sharing::collection_slug gives new ones). Public and private slugs are unchanged.
UPDATE user_collections
SET slug = lower(hex(randomblob(16)))
WHERE visibility = 'unlisted';
