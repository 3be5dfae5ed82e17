-- The idempotency table keeps the SHA-256 of each key and the report's secret sealed under a
-- key derived from the idempotency key (see src/idempotency.rs), no longer either in clear.
-- Rows written before cannot be converted in SQL: they go (a retry of one of them within its
-- day files a new report, which the duplicate check links to the first for officials).
DELETE FROM idempotency;
