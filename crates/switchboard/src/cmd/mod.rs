//! One module per subcommand: each has `Args` (clap) and `async fn run(Args)`.

pub mod backup;
pub mod common;
pub mod config;
pub mod connection;
pub mod data;
pub mod fetch;
pub mod healthcheck;
pub mod jsonata;
pub mod key;
pub mod library;
pub mod metric;
pub mod metric_store;
pub mod migrate;
pub mod output;
pub mod process;
pub mod runs;
pub mod serve;
pub mod sim;
pub mod sync;
pub mod user;
pub mod worker;
