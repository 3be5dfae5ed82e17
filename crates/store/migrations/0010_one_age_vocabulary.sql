-- One vocabulary for age bands across reports, surveys, planned trips and the bot's profile:
-- the Arequipa Bus survey's bands (menor_18, 18_35, 36_50, 51_64, 65_mas) replace paradero's
-- first ones (menor_18, 18_29, 30_44, 45_59, 60_mas). A band inside a new one is mapped
-- (18_29 is within 18_35); a band straddling two new ones (30_44, 45_59, 60_mas) cannot be
-- placed without guessing: it becomes undeclared in `age_band`, and the word the person chose
-- is kept in `age_band_before` (read by no release or breakdown; there for an official who
-- wants the record as it was given). Genders keep their words.
ALTER TABLE trips ADD COLUMN age_band_before TEXT;
ALTER TABLE reports ADD COLUMN age_band_before TEXT;
ALTER TABLE surveys ADD COLUMN age_band_before TEXT;
ALTER TABLE survey_responses ADD COLUMN age_band_before TEXT;

UPDATE trips SET age_band_before = age_band, age_band = NULL
    WHERE age_band IN ('30_44', '45_59', '60_mas');
UPDATE reports SET age_band_before = age_band, age_band = NULL
    WHERE age_band IN ('30_44', '45_59', '60_mas');
UPDATE surveys SET age_band_before = age_band, age_band = NULL
    WHERE age_band IN ('30_44', '45_59', '60_mas');
UPDATE survey_responses SET age_band_before = age_band, age_band = NULL
    WHERE age_band IN ('30_44', '45_59', '60_mas');

UPDATE trips SET age_band = '18_35' WHERE age_band = '18_29';
UPDATE reports SET age_band = '18_35' WHERE age_band = '18_29';
UPDATE surveys SET age_band = '18_35' WHERE age_band = '18_29';
UPDATE survey_responses SET age_band = '18_35' WHERE age_band = '18_29';
