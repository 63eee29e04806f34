//! The store's contract: every test body is generic over the backend and runs on SQLite and on
//! PostgreSQL (see `support`).

mod support;

#[path = "contract/buckets.rs"]
mod buckets;
#[path = "contract/connections.rs"]
mod connections;
#[path = "contract/data_dir.rs"]
mod data_dir;
#[path = "contract/data_steps.rs"]
mod data_steps;
#[path = "contract/fencing.rs"]
mod fencing;
#[path = "contract/jobs.rs"]
mod jobs;
#[path = "contract/key_state.rs"]
mod key_state;
#[path = "contract/live.rs"]
mod live;
#[path = "contract/master_key.rs"]
mod master_key;
#[path = "contract/metrics.rs"]
mod metrics;
#[path = "contract/ops.rs"]
mod ops;
#[path = "contract/processes.rs"]
mod processes;
#[path = "contract/raw_pages.rs"]
mod raw_pages;
#[path = "contract/rollups.rs"]
mod rollups;
#[path = "contract/schema.rs"]
mod schema;
#[path = "contract/sync_intervals.rs"]
mod sync_intervals;
#[path = "contract/sync_runs.rs"]
mod sync_runs;
#[path = "contract/twilio_accounts.rs"]
mod twilio_accounts;
#[path = "contract/watching.rs"]
mod watching;
