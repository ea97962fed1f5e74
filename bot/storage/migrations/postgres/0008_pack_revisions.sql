-- A counter per server that every change to its uploaded packs (a save or a removal) moves on, in
-- the same transaction. A process that caches a server's compiled packs reads this one row to tell
-- whether another process has changed them since: what is played is always what is stored.
-- No row means revision 0: no change since this table was made. The twin of the SQLite 0008.
CREATE TABLE pack_revisions (
    guild_id BIGINT NOT NULL PRIMARY KEY,
    revision BIGINT NOT NULL CHECK (revision >= 1)
);
