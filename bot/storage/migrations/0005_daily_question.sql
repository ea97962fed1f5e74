-- The daily question: which question each server got each day, who answered it, daily streaks, and
-- the channels it is posted to. Days are UTC calendar days stored as 'YYYY-MM-DD' text, which sorts
-- and compares like the dates themselves.

-- Pinned the first time a day's question is shown, so an uploaded or removed pack later that day
-- cannot change the question under players who already answered it.
CREATE TABLE daily_questions (
    guild_id    INTEGER NOT NULL CHECK (typeof(guild_id) = 'integer'),
    day         TEXT    NOT NULL CHECK (length(day) = 10),
    question_id TEXT    NOT NULL,
    PRIMARY KEY (guild_id, day)
) WITHOUT ROWID;

-- The primary key is the "one answer per player per day" rule.
CREATE TABLE daily_answers (
    guild_id     INTEGER NOT NULL CHECK (typeof(guild_id) = 'integer'),
    day          TEXT    NOT NULL CHECK (length(day) = 10),
    user_id      INTEGER NOT NULL CHECK (typeof(user_id) = 'integer'),
    display_name TEXT    NOT NULL,
    question_id  TEXT    NOT NULL,
    choice       TEXT    NOT NULL,
    correct      INTEGER NOT NULL CHECK (correct IN (0, 1)),
    answered_at  REAL    NOT NULL,
    PRIMARY KEY (guild_id, day, user_id)
) WITHOUT ROWID;

CREATE TABLE daily_streaks (
    guild_id       INTEGER NOT NULL CHECK (typeof(guild_id) = 'integer'),
    user_id        INTEGER NOT NULL CHECK (typeof(user_id) = 'integer'),
    current_streak INTEGER NOT NULL CHECK (current_streak >= 0),
    best_streak    INTEGER NOT NULL CHECK (best_streak >= current_streak),
    last_right_day TEXT,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- last_posted_day makes "once per day" survive a restart: a post is claimed here before it is sent.
CREATE TABLE daily_channels (
    guild_id        INTEGER PRIMARY KEY CHECK (typeof(guild_id) = 'integer'),
    channel_id      INTEGER NOT NULL CHECK (typeof(channel_id) = 'integer'),
    hour            INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    last_posted_day TEXT
);
