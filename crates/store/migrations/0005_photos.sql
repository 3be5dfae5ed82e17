-- Photos on reports ([observatory-2] issue). Only re-encoded images arrive here (no EXIF,
-- GPS or other metadata). The bytes live in files under the data folder by default (`data`
-- stays NULL) or, for deployments whose replicas share one database, base64 in `data`.
-- Officials see them; they are erased with their report, in the same transaction.
CREATE TABLE report_photos (
    id TEXT PRIMARY KEY,
    report_id BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    added_at BIGINT NOT NULL,
    data TEXT
);
CREATE INDEX report_photos_report ON report_photos (report_id);
