-- Daily rollups: per metric, dimension and UTC day, the fold of that day's hourly buckets (sums
-- and counts add, min and max widen, the latest of the latests by (latest_at_ms, latest)). Long
-- ranges read one row a day instead of 24. Every write to `buckets` rewrites the days it touched
-- from the hours in the same transaction, so a day here is always exactly its hours.
CREATE TABLE bucket_days (
    metric_id    INTEGER NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    dimension    TEXT NOT NULL,
    day_ms       INTEGER NOT NULL,
    sum          REAL NOT NULL,
    count        INTEGER NOT NULL,
    min          REAL NOT NULL,
    max          REAL NOT NULL,
    latest       REAL NOT NULL,
    latest_at_ms INTEGER NOT NULL,
    PRIMARY KEY (metric_id, dimension, day_ms)
) WITHOUT ROWID;

CREATE INDEX bucket_days_metric_day ON bucket_days (metric_id, day_ms);

-- A store written before this migration gets its rollups from the hours it already holds.
INSERT INTO bucket_days (metric_id, dimension, day_ms, sum, count, min, max, latest, latest_at_ms)
SELECT d.metric_id, d.dimension, d.day_ms, d.sum, d.count, d.min, d.max,
       (SELECT MAX(b.latest) FROM buckets b
         WHERE b.metric_id = d.metric_id AND b.dimension = d.dimension
           AND b.hour_ms >= d.day_ms AND b.hour_ms < d.day_ms + 86400000
           AND b.latest_at_ms = d.latest_at_ms),
       d.latest_at_ms
FROM (SELECT metric_id, dimension,
             hour_ms - ((hour_ms % 86400000) + 86400000) % 86400000 AS day_ms,
             SUM(sum) AS sum, CAST(SUM(count) AS BIGINT) AS count, MIN(min) AS min,
             MAX(max) AS max, MAX(latest_at_ms) AS latest_at_ms
        FROM buckets
       GROUP BY metric_id, dimension, hour_ms - ((hour_ms % 86400000) + 86400000) % 86400000) d;
