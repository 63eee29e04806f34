-- A claimed delivery is leased to the claim that sends it: `locked_by` names the claim and
-- `locked_until` (epoch ms) is when the lease lapses. A claim still held past it belongs to a
-- process that died or hung mid-attempt: another process takes it back and records that
-- attempt as failed, so it follows the retry schedule instead of being sent again at once.
ALTER TABLE deliveries ADD COLUMN locked_by TEXT;
ALTER TABLE deliveries ADD COLUMN locked_until BIGINT;
CREATE INDEX deliveries_leased ON deliveries (locked_until) WHERE locked_until IS NOT NULL;
