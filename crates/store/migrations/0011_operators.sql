-- Operators: officials of a bus company who push their fleet's GPS positions. Their role is
-- `operator` (below `viewer`: they read nothing of the observatory), and their token speaks
-- only for the agencies listed here (namespaced agency ids, one per line; empty for others).
ALTER TABLE officials ADD COLUMN agencies TEXT NOT NULL DEFAULT '';

-- Positions pushed in the last minutes, so that every server process on one database tracks
-- the same buses and a restart loses none but the last seconds': one row per accepted batch
-- (JSON), read by the other processes and deleted when older than the vehicle timeout.
CREATE TABLE live_positions (
    id BIGINT PRIMARY KEY,
    received_ms BIGINT NOT NULL,
    origin TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX live_positions_received ON live_positions (received_ms);
