-- The twin of the SQLite 0009: one covering index by server and time instead of the indexes by
-- player, by season and by time, so each answer costs two index entries (this and the one by game)
-- instead of four. Boards read the server's entries of this index; forgetting a player too.
DROP INDEX answers_by_player;
DROP INDEX answers_by_season;
DROP INDEX answers_by_time;
CREATE INDEX answers_by_guild_time ON answers (guild_id, answered_at, user_id, season, points, correct, game_id);
