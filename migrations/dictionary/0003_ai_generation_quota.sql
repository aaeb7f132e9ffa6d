-- Each user's AI generations per UTC day (core::dictionary::review::admit_generation; the
-- limit is the var AI_DAILY_GENERATIONS_PER_USER). The daily cron deletes days older than 30.
CREATE TABLE ai_generations (
  user_id TEXT NOT NULL,
  day TEXT NOT NULL,
  count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, day)
);
