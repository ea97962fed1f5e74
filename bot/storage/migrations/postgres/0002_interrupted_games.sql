-- A game whose process died before it finished is closed at the next start and marked here, so
-- it is told apart from one that ended or was stopped. Its answers and points stay.
ALTER TABLE games ADD COLUMN interrupted BOOLEAN NOT NULL DEFAULT FALSE;

-- Start-up looks for unfinished games; without this it would scan every game ever played.
CREATE INDEX games_unfinished ON games (started_at) WHERE finished_at IS NULL;
