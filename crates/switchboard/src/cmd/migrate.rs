//! `switchboard migrate [--dry-run]`: the one command besides `serve` and `worker` that upgrades
//! a store's schema; every other command refuses an older schema.

use store::{OpenMode, Store};

use super::common::StoreArgs;

#[derive(clap::Args)]
pub struct Args {
    /// List the pending migrations and change nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    store: StoreArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let status = args.store.schema().await?;
    let at = match status.applied {
        Some(n) => format!("schema {n}"),
        None => "a new, empty database".to_owned(),
    };
    if status.pending.is_empty() {
        println!(
            "{} is at schema {}: no migration is pending",
            args.store.describe(),
            status.known
        );
    } else {
        println!(
            "{} is at {at}; this Switchboard needs schema {}. Pending migrations:",
            args.store.describe(),
            status.known
        );
        for m in &status.pending {
            println!("  {:04} {}", m.version, m.description);
        }
    }
    if args.dry_run {
        println!("dry run: nothing was changed");
        return Ok(());
    }
    // Opened even with nothing pending: the one-time data steps of an upgrade run here too.
    let opened = args.store.open_with(OpenMode::Migrate).await?;
    opened.store.close().await;
    if !status.pending.is_empty() {
        println!(
            "applied {} migration(s): the schema is now at {}",
            status.pending.len(),
            status.known
        );
    }
    Ok(())
}
