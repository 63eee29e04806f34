-- A counter that grows with every write to a metric's buckets, so a reader that cached the
-- buckets can tell with one small query whether they are still current.
ALTER TABLE metrics ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0;
