-- Safer trips ([safety] issue): whether the rider asked for the safer option. It is counted
-- in the releases like any trip attribute (table `trips_by_preference`). Older rows asked for
-- the fastest trip, the only one there was.
ALTER TABLE trips ADD COLUMN safer INTEGER NOT NULL DEFAULT 0;
