-- Surveys as data. Each version of a definition is one row (its JSON body is owned by the
-- observatory crate); a new version never changes an old one, so answers keep their meaning.
-- Retiring a survey stops new answers; its versions and answers stay.
CREATE TABLE survey_definitions (
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    retired_at BIGINT,
    -- Where the survey is listed (the same for all its versions).
    position INTEGER NOT NULL,
    PRIMARY KEY (code, version)
);

-- One row per answered survey: no identity but the bot's hashed rider handle (for erasure
-- and the per-person bound of the releases); the profile only with consent.
CREATE TABLE survey_responses (
    id BIGINT PRIMARY KEY,
    survey TEXT NOT NULL,
    version INTEGER NOT NULL,
    answered_at BIGINT NOT NULL,
    local_hour INTEGER NOT NULL,
    gender TEXT,
    age_band TEXT,
    channel TEXT NOT NULL,
    rider TEXT
);
CREATE INDEX survey_responses_answered_at ON survey_responses (answered_at);
CREATE INDEX survey_responses_rider ON survey_responses (rider);
CREATE INDEX survey_responses_survey ON survey_responses (survey, answered_at);

-- The options chosen (one row each) and free texts of a response.
CREATE TABLE survey_selections (
    response_id BIGINT NOT NULL,
    question TEXT NOT NULL,
    option_code TEXT,
    text_answer TEXT
);
CREATE INDEX survey_selections_response ON survey_selections (response_id);
