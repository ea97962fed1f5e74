-- One running game per channel, enforced here rather than in one process's memory: two bot
-- processes (or a restart racing the old process) can then never both run a game in a channel.

-- A channel may already hold several unfinished games (leftovers of crashes from before games
-- were closed per shard). The newest stays; each older one is closed the way
-- close_interrupted_games closes a game: marked interrupted, finished when the channel's next game
-- started, and one game counted for every player who answered in it.
CREATE TEMP TABLE superseded_games AS
    SELECT old.id AS id, old.guild_id AS guild_id,
           (SELECT MIN(newer.started_at) FROM games AS newer
            WHERE newer.guild_id = old.guild_id AND newer.channel_id = old.channel_id AND newer.id > old.id)
               AS next_started_at
    FROM games AS old
    WHERE old.finished_at IS NULL AND EXISTS (
        SELECT 1 FROM games AS newer
        WHERE newer.guild_id = old.guild_id AND newer.channel_id = old.channel_id
          AND newer.finished_at IS NULL AND newer.id > old.id
    );

UPDATE players SET games = games + (
    SELECT COUNT(DISTINCT answers.game_id) FROM answers
    JOIN superseded_games ON answers.game_id = superseded_games.id AND answers.guild_id = superseded_games.guild_id
    WHERE answers.guild_id = players.guild_id AND answers.user_id = players.user_id
)
WHERE (guild_id, user_id) IN (
    SELECT answers.guild_id, answers.user_id FROM answers
    JOIN superseded_games ON answers.game_id = superseded_games.id AND answers.guild_id = superseded_games.guild_id
);

UPDATE games SET
    finished_at = (
        SELECT max(games.started_at, superseded_games.next_started_at) FROM superseded_games
        WHERE superseded_games.id = games.id
    ),
    interrupted = 1
WHERE id IN (SELECT id FROM superseded_games);

DROP TABLE superseded_games;

CREATE UNIQUE INDEX games_running_per_channel ON games (guild_id, channel_id) WHERE finished_at IS NULL;
