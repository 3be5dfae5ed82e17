-- Service delivered, aggregated from the operators' positions as they come (app::service):
-- one row per local day, route, direction and hour, replaced as the hour fills. Sums, so
-- that any period's figures are sums of rows. No vehicle code, no position: the raw
-- positions (live_positions) are kept `operators.keep_positions_days` (7 by default), these
-- are kept.
CREATE TABLE service_cells (
    local_day TEXT NOT NULL,
    route_id TEXT NOT NULL,
    direction INTEGER NOT NULL,
    local_hour INTEGER NOT NULL,
    runs BIGINT NOT NULL,
    promised DOUBLE PRECISION NOT NULL,
    vehicles BIGINT NOT NULL,
    headways BIGINT NOT NULL,
    h_sum DOUBLE PRECISION NOT NULL,
    h_sq DOUBLE PRECISION NOT NULL,
    sched_n BIGINT NOT NULL,
    sched_sum DOUBLE PRECISION NOT NULL,
    sched_sq DOUBLE PRECISION NOT NULL,
    h_sum_sched DOUBLE PRECISION NOT NULL,
    h_sq_sched DOUBLE PRECISION NOT NULL,
    travel_obs_s DOUBLE PRECISION NOT NULL,
    travel_sched_s DOUBLE PRECISION NOT NULL,
    until_t BIGINT NOT NULL,
    PRIMARY KEY (local_day, route_id, direction, local_hour)
);
