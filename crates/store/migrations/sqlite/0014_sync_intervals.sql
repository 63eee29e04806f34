-- A metric's own sync interval in seconds, set by a person (API, CLI, the metric page); NULL
-- keeps the scheduler's default (hourly). Stored rather than held by one process, so every
-- `serve` and `worker` schedules from the same value and a change survives restarts.
ALTER TABLE metrics ADD COLUMN sync_interval_s INTEGER NULL;
