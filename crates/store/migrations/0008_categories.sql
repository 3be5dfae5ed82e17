-- Incident categories as data: groups (no parent) and categories (a group as parent), edited
-- by officials without a restart. A group and a category may share a code (`robo`). Retired
-- ones take no new reports but stay, so reports and released cells keep their meaning.
CREATE TABLE categories (
    code TEXT NOT NULL,
    is_group INTEGER NOT NULL,
    parent TEXT,
    family TEXT NOT NULL,
    label_es TEXT NOT NULL,
    label_en TEXT NOT NULL,
    label_qu TEXT NOT NULL,
    position INTEGER NOT NULL,
    retired_at BIGINT,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (is_group, code)
);
