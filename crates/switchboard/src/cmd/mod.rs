//! One module per subcommand: each has `Args` (clap) and `async fn run(Args)`.

pub mod fetch;
pub mod jsonata;
pub mod metric;
pub mod sim;
