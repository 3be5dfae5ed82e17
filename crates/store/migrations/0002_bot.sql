-- The Telegram bot: one row per chat, and an outbox of status changes to tell reporters.

-- `rider` is a random handle (not derived from the Telegram id) that links the chat's
-- reports, trips and survey answers so the rider can follow and erase them. `state` is the
-- dialogue state and consented profile (JSON), so a restart loses no conversation.
CREATE TABLE bot_chats (
    chat_id BIGINT PRIMARY KEY,
    rider TEXT NOT NULL UNIQUE,
    lang TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Written in the same transaction as a status change of a report that has a rider; the bot
-- delivers and marks each row, so notifications survive restarts and work when officials
-- and the bot run in different processes.
CREATE TABLE notifications (
    id BIGINT PRIMARY KEY,
    rider TEXT NOT NULL,
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX notifications_pending ON notifications (sent_at, created_at);
CREATE INDEX notifications_rider ON notifications (rider);
