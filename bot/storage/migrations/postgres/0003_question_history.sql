-- Which questions of a pack a server (guild 0: the terminal) has been asked since it last went
-- through the whole pack, so a question is not asked again until every other one has been.
CREATE TABLE asked_questions (
    guild_id    BIGINT           NOT NULL,
    pack_id     TEXT             NOT NULL,
    question_id TEXT             NOT NULL,
    asked_at    DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (guild_id, pack_id, question_id)
);
