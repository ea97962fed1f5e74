-- Initial schema, the PostgreSQL twin of the SQLite 0001: same tables, same keys, same meaning.
-- Discord ids are 64-bit snowflakes (BIGINT); times are the float seconds the Store interface passes
-- around (DOUBLE PRECISION), so a value read back is exactly the value written.

CREATE TABLE games (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id    BIGINT           NOT NULL,
    channel_id  BIGINT           NOT NULL,
    pack_id     TEXT             NOT NULL,
    mode        TEXT             NOT NULL,
    started_at  DOUBLE PRECISION NOT NULL,
    finished_at DOUBLE PRECISION,
    stopped     BOOLEAN          NOT NULL DEFAULT FALSE,
    -- Lets answers reference (game, guild) together, so an answer can never be filed under a
    -- guild other than the one its game was played in.
    UNIQUE (id, guild_id)
);

CREATE TABLE answers (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    game_id     BIGINT           NOT NULL,
    guild_id    BIGINT           NOT NULL,
    user_id     BIGINT           NOT NULL,
    question_id TEXT             NOT NULL,
    correct     BOOLEAN          NOT NULL,
    points      INTEGER          NOT NULL,
    answered_at DOUBLE PRECISION NOT NULL,
    FOREIGN KEY (game_id, guild_id) REFERENCES games (id, guild_id) ON DELETE CASCADE
);

-- PostgreSQL does not index the referencing side of a foreign key by itself.
CREATE INDEX answers_by_game ON answers (game_id, guild_id);
CREATE INDEX answers_by_player ON answers (guild_id, user_id);

-- Running totals, kept up to date by every write so that the leaderboard and /stats never have
-- to aggregate the answers table.
CREATE TABLE players (
    guild_id       BIGINT  NOT NULL,
    user_id        BIGINT  NOT NULL,
    display_name   TEXT    NOT NULL,
    points         BIGINT  NOT NULL DEFAULT 0,
    correct        INTEGER NOT NULL DEFAULT 0 CHECK (correct >= 0),
    answered       INTEGER NOT NULL DEFAULT 0 CHECK (answered >= 0),
    games          INTEGER NOT NULL DEFAULT 0 CHECK (games >= 0),
    wins           INTEGER NOT NULL DEFAULT 0 CHECK (wins >= 0),
    current_streak INTEGER NOT NULL DEFAULT 0 CHECK (current_streak >= 0),
    best_streak    INTEGER NOT NULL DEFAULT 0 CHECK (best_streak >= current_streak),
    PRIMARY KEY (guild_id, user_id)
);

-- Matches the leaderboard's ORDER BY, so a guild's top N is read straight off the index.
CREATE INDEX players_leaderboard ON players (guild_id, points DESC, correct DESC, user_id);

CREATE TABLE guild_packs (
    guild_id    BIGINT           NOT NULL,
    pack_id     TEXT             NOT NULL,
    yaml_text   TEXT             NOT NULL,
    uploaded_by BIGINT           NOT NULL,
    uploaded_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (guild_id, pack_id)
);
