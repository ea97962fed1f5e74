-- Every answer is written into the answers table and into each of its indexes, in the commit that
-- announces its score: each index is one more B-tree descent and, under load, one more page per
-- answer appended to the WAL. Four indexes were more than the queries need.
--
-- One covering index by server and time replaces the ones by player, by season and by time. A week's
-- or a month's board reads its range of it; a season's, a pack's or the all-time board reads the
-- server's entries in it without visiting the table (faster than the per-answer table look-ups
-- before). It is also the cheapest to keep up: answers arrive in time order, so each server's new
-- entries go at the end of its range, the same few pages commit after commit, where an index by
-- player puts each answer on a page of its own. Forgetting a player reads the server's entries to
-- find theirs, which is rare. The index by game stays: deleting a game (its foreign key) and closing
-- an interrupted game find a game's answers through it.
DROP INDEX answers_by_player;
DROP INDEX answers_by_season;
DROP INDEX answers_by_time;
CREATE INDEX answers_by_guild_time ON answers (guild_id, answered_at, user_id, season, points, correct, game_id);
