-- Service alerts written by officials (a closed street, a diverted route, a strike): the
-- alert as validated (JSON, ids namespaced as the timetable names them), a version bumped by
-- every edit, and when it was ended (kept for the record; no longer served). Nothing here
-- identifies a rider.
CREATE TABLE service_alerts (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    ended_at BIGINT
);

-- A chat's subscriptions to a route's alerts (`/alertas` in the bot).
CREATE TABLE alert_subscriptions (
    chat_id BIGINT NOT NULL,
    route_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (chat_id, route_id)
);
CREATE INDEX alert_subscriptions_route ON alert_subscriptions (route_id);

-- The outbox of alerts to tell subscribed chats: one row per chat and version of an alert
-- (a chat subscribed to two routes it informs is told once), written in the alert's own
-- transaction. The bot leases a row before sending and marks it sent after; a lease that
-- runs out (a process killed mid-send) is taken again, so each is delivered at least once.
-- A chat that blocked the bot, or a row that failed too often, is given up (`gave_up`).
CREATE TABLE alert_deliveries (
    id BIGINT PRIMARY KEY,
    chat_id BIGINT NOT NULL,
    alert_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    leased_until BIGINT NOT NULL DEFAULT 0,
    attempts BIGINT NOT NULL DEFAULT 0,
    sent_at BIGINT,
    gave_up BIGINT NOT NULL DEFAULT 0,
    UNIQUE (chat_id, alert_id, version)
);
CREATE INDEX alert_deliveries_pending ON alert_deliveries (sent_at, gave_up, created_at);
