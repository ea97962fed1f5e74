-- One running game per channel, enforced here rather than in one process's memory: two bot
-- processes (or a restart racing the old process) can then never both run a game in a channel.
-- The PostgreSQL twin of the SQLite 0007.

-- A channel may already hold several unfinished games (leftovers of crashes from before games
-- were closed per shard). The newest stays; each older one is closed the way
-- close_interrupted_games closes a game: marked interrupted, finished when the channel's next game
-- started, and one game counted for every player who answered in it.
CREATE TEMP TABLE superseded_games ON COMMIT DROP AS
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

UPDATE players SET games = players.games + played.games
FROM (
    SELECT answers.guild_id, answers.user_id, COUNT(DISTINCT answers.game_id) AS games
    FROM answers
    JOIN superseded_games ON answers.game_id = superseded_games.id AND answers.guild_id = superseded_games.guild_id
    GROUP BY answers.guild_id, answers.user_id
) AS played
WHERE players.guild_id = played.guild_id AND players.user_id = played.user_id;

UPDATE games SET finished_at = GREATEST(games.started_at, superseded_games.next_started_at), interrupted = TRUE
FROM superseded_games
WHERE games.id = superseded_games.id;

CREATE UNIQUE INDEX games_running_per_channel ON games (guild_id, channel_id) WHERE finished_at IS NULL;
