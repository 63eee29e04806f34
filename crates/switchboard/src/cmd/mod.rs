//! One module per subcommand: each has `Args` (clap) and `async fn run(Args)`.

pub mod common;
pub mod connection;
pub mod fetch;
pub mod jsonata;
pub mod key;
pub mod data;
pub mod runs;
pub mod sync;
pub mod worker;
pub mod metric;
pub mod metric_store;
pub mod sim;
