-- The daily question: which question each server got each day, who answered it, daily streaks, and
-- the channels it is posted to. Days are UTC calendar days (DATE).

-- Pinned the first time a day's question is shown, so an uploaded or removed pack later that day
-- cannot change the question under players who already answered it.
CREATE TABLE daily_questions (
    guild_id    BIGINT NOT NULL,
    day         DATE   NOT NULL,
    question_id TEXT   NOT NULL,
    PRIMARY KEY (guild_id, day)
);

-- The primary key is the "one answer per player per day" rule.
CREATE TABLE daily_answers (
    guild_id     BIGINT           NOT NULL,
    day          DATE             NOT NULL,
    user_id      BIGINT           NOT NULL,
    display_name TEXT             NOT NULL,
    question_id  TEXT             NOT NULL,
    choice       TEXT             NOT NULL,
    correct      BOOLEAN          NOT NULL,
    answered_at  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (guild_id, day, user_id)
);

CREATE TABLE daily_streaks (
    guild_id       BIGINT  NOT NULL,
    user_id        BIGINT  NOT NULL,
    current_streak INTEGER NOT NULL CHECK (current_streak >= 0),
    best_streak    INTEGER NOT NULL CHECK (best_streak >= current_streak),
    last_right_day DATE,
    PRIMARY KEY (guild_id, user_id)
);

-- last_posted_day makes "once per day" survive a restart: a post is claimed here before it is sent.
CREATE TABLE daily_channels (
    guild_id        BIGINT  PRIMARY KEY,
    channel_id      BIGINT  NOT NULL,
    hour            INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    last_posted_day DATE
);
