-- Road actors ([observatory-2] issue), as the Trujillo observatory records them: who was
-- involved and who was the victim, keys from the configured list; both optional.
ALTER TABLE reports ADD COLUMN actor_involved TEXT;
ALTER TABLE reports ADD COLUMN actor_victim TEXT;
