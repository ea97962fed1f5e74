-- Players' reports of questions, and the questions a server's moderators disabled after one.
CREATE TABLE question_reports (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id    BIGINT           NOT NULL,
    pack_id     TEXT             NOT NULL,
    question_id TEXT             NOT NULL,
    -- The prompt as the player saw it, so the report still reads right if the pack changes or goes.
    prompt      TEXT             NOT NULL,
    user_id     BIGINT           NOT NULL,
    reason      TEXT             NOT NULL CHECK (reason IN ('wrong-answer', 'also-right', 'unclear', 'offensive')),
    comment     TEXT             NOT NULL DEFAULT '',
    reported_at DOUBLE PRECISION NOT NULL,
    resolution  TEXT             CHECK (resolution IN ('disabled', 'dismissed')),
    resolved_by BIGINT,
    resolved_at DOUBLE PRECISION
);

-- A player has at most one open report of a question: a second one is refused, never counted twice.
CREATE UNIQUE INDEX question_reports_one_open ON question_reports (guild_id, question_id, user_id)
    WHERE resolution IS NULL;
-- The moderators' listing reads a server's open reports newest first.
CREATE INDEX question_reports_open ON question_reports (guild_id, reported_at) WHERE resolution IS NULL;
-- The rate limit reads one player's recent reports.
CREATE INDEX question_reports_by_player ON question_reports (guild_id, user_id, reported_at);

CREATE TABLE disabled_questions (
    guild_id    BIGINT           NOT NULL,
    question_id TEXT             NOT NULL,
    pack_id     TEXT             NOT NULL,
    disabled_by BIGINT           NOT NULL,
    disabled_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (guild_id, question_id)
);
