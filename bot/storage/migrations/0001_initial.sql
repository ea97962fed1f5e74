-- Initial schema. Types are checked with CHECK (typeof(...)) rather than STRICT tables so the
-- schema also works on SQLite older than 3.37, which some distributions still ship.

CREATE TABLE games (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL CHECK (typeof(guild_id) = 'integer'),
    channel_id  INTEGER NOT NULL CHECK (typeof(channel_id) = 'integer'),
    pack_id     TEXT    NOT NULL,
    mode        TEXT    NOT NULL,
    started_at  REAL    NOT NULL,
    finished_at REAL,
    stopped     INTEGER NOT NULL DEFAULT 0 CHECK (stopped IN (0, 1)),
    -- Lets answers reference (game, guild) together, so an answer can never be filed under a
    -- guild other than the one its game was played in.
    UNIQUE (id, guild_id)
);

CREATE TABLE answers (
    id          INTEGER PRIMARY KEY,
    game_id     INTEGER NOT NULL,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL CHECK (typeof(user_id) = 'integer'),
    question_id TEXT    NOT NULL,
    correct     INTEGER NOT NULL CHECK (correct IN (0, 1)),
    points      INTEGER NOT NULL CHECK (typeof(points) = 'integer'),
    answered_at REAL    NOT NULL,
    FOREIGN KEY (game_id, guild_id) REFERENCES games (id, guild_id) ON DELETE CASCADE
);

-- The foreign key needs an index on the child side, or every games delete scans answers.
CREATE INDEX answers_by_game ON answers (game_id, guild_id);
CREATE INDEX answers_by_player ON answers (guild_id, user_id);

-- Running totals, kept up to date by every write so that the leaderboard and /stats never have
-- to aggregate the answers table.
CREATE TABLE players (
    guild_id       INTEGER NOT NULL CHECK (typeof(guild_id) = 'integer'),
    user_id        INTEGER NOT NULL CHECK (typeof(user_id) = 'integer'),
    display_name   TEXT    NOT NULL,
    points         INTEGER NOT NULL DEFAULT 0 CHECK (typeof(points) = 'integer'),
    correct        INTEGER NOT NULL DEFAULT 0 CHECK (correct >= 0),
    answered       INTEGER NOT NULL DEFAULT 0 CHECK (answered >= 0),
    games          INTEGER NOT NULL DEFAULT 0 CHECK (games >= 0),
    wins           INTEGER NOT NULL DEFAULT 0 CHECK (wins >= 0),
    current_streak INTEGER NOT NULL DEFAULT 0 CHECK (current_streak >= 0),
    best_streak    INTEGER NOT NULL DEFAULT 0 CHECK (best_streak >= current_streak),
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- Matches the leaderboard's ORDER BY, so a guild's top N is read straight off the index.
CREATE INDEX players_leaderboard ON players (guild_id, points DESC, correct DESC, user_id);

-- Rowid table on purpose: pack YAML can be tens of kilobytes, and WITHOUT ROWID tables are only a
-- win for small rows.
CREATE TABLE guild_packs (
    guild_id    INTEGER NOT NULL CHECK (typeof(guild_id) = 'integer'),
    pack_id     TEXT    NOT NULL,
    yaml_text   TEXT    NOT NULL,
    uploaded_by INTEGER NOT NULL CHECK (typeof(uploaded_by) = 'integer'),
    uploaded_at REAL    NOT NULL,
    PRIMARY KEY (guild_id, pack_id)
);
