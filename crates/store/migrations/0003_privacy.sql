-- Privacy ([privacy] issue). A report's public reference is a secret only its reporter holds
-- (100 random bits, shown once): only its SHA-256 is stored. `reference` stays the officials'
-- handle (case id); rows from before this migration keep theirs, and their old reference
-- keeps working for the reporter (its hash is filled in at first start).
ALTER TABLE reports ADD COLUMN secret_hash TEXT;
CREATE UNIQUE INDEX reports_secret_hash ON reports (secret_hash);

-- A retried POST with the same Idempotency-Key gets the same secret back: it is kept beside
-- the key (which only the client knows) for a day, then the key row is deleted.
ALTER TABLE idempotency ADD COLUMN secret TEXT;
CREATE INDEX idempotency_created ON idempotency (created_at);

-- The public statistics: one row per released period (a month, or week 1–5 of it: `week` 0
-- is the whole month), stored as computed (noisy values, noise scales, budget) and served
-- as stored. Never recomputed.
CREATE TABLE releases (
    month TEXT NOT NULL,
    week INTEGER NOT NULL,
    computed_at BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (month, week)
);
