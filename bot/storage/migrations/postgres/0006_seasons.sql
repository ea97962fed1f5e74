-- Seasons, and boards for a period or a pack counted from the answers themselves (the PostgreSQL
-- twin of the SQLite 0003).

-- The season an answer was counted in, stamped when it is recorded, under a per-server lock that
-- ending a season takes exclusively: every answer lands in exactly one season, and an archived
-- season's snapshot holds all of its answers. Answers from before seasons existed belong to season 1.
ALTER TABLE answers ADD COLUMN season INTEGER NOT NULL DEFAULT 1 CHECK (season >= 1);

-- Boards for a week or a month read a guild's answers by time; a season's board by season.
CREATE INDEX answers_by_time ON answers (guild_id, answered_at);
CREATE INDEX answers_by_season ON answers (guild_id, season, user_id);
-- The pack filter joins answers to their games; lets it find a pack's games without a scan.
CREATE INDEX games_by_pack ON games (guild_id, pack_id);

-- Ended seasons only: the current season of a guild is the one after its last ended season (or
-- season 1), so a guild needs no row to have one.
CREATE TABLE seasons (
    guild_id   BIGINT           NOT NULL,
    number     INTEGER          NOT NULL CHECK (number >= 1),
    -- NULL for season 1: it began with the guild's first game.
    started_at DOUBLE PRECISION,
    ended_at   DOUBLE PRECISION NOT NULL,
    players    INTEGER          NOT NULL CHECK (players >= 0),
    PRIMARY KEY (guild_id, number)
);

-- A season's final standings, frozen when it ended: what the board showed then, names included.
CREATE TABLE season_standings (
    guild_id     BIGINT  NOT NULL,
    season       INTEGER NOT NULL,
    rank         INTEGER NOT NULL CHECK (rank >= 1),
    user_id      BIGINT  NOT NULL,
    display_name TEXT    NOT NULL,
    points       BIGINT  NOT NULL,
    correct      INTEGER NOT NULL CHECK (correct >= 0),
    answered     INTEGER NOT NULL CHECK (answered >= 0),
    games        INTEGER NOT NULL CHECK (games >= 0),
    PRIMARY KEY (guild_id, season, user_id),
    FOREIGN KEY (guild_id, season) REFERENCES seasons (guild_id, number) ON DELETE CASCADE
);

-- An archived board is read in rank order.
CREATE INDEX season_standings_by_rank ON season_standings (guild_id, season, rank, user_id);
