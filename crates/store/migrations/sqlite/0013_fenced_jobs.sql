-- Fencing tokens. Every claim of a job adds one to its `fence`; a write made under a job (a
-- window's buckets, a run's start and end, the job's own end) names the fence it was claimed
-- with and is refused, in its own transaction, once the job carries another: a worker whose
-- lease lapsed and passed to another can no longer write, whatever its clock says.
ALTER TABLE jobs ADD COLUMN fence BIGINT NOT NULL DEFAULT 0;

-- The job and fence a run was started under; both NULL for runs no job started (a `sync` by
-- hand, a recompute).
ALTER TABLE sync_runs ADD COLUMN job_id BIGINT;
ALTER TABLE sync_runs ADD COLUMN fence BIGINT;
