//! `switchboard key rotate`: re-seal every stored secret under a new master key.

use anyhow::Context;
use store::{KeySource, MasterKey, Store};

use super::common::StoreArgs;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Generate a new master key and re-seal every secret under it, in one transaction.
    Rotate,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let Command::Rotate = args.command;
    let (old, source) = args.store.master_key()?;
    let store = args.store.open().await?;
    // A running server keeps the old key in memory: after the re-sealing it could open no
    // secret (connections, channels, share links) until restarted. So rotate only alone.
    let running = metric_sync::presence::running(&store).await?;
    if !running.is_empty() {
        store.close().await;
        let now = jiff::Timestamp::now().as_millisecond();
        let list: Vec<String> = running
            .iter()
            .map(|p| format!("{} (seen {} s ago)", p.id, (now - p.seen_ms).max(0) / 1000))
            .collect();
        anyhow::bail!(
            "{} still using this store: {}. Stop every `switchboard serve` and `switchboard worker` on it, then run `switchboard key rotate` again (a process killed without stopping counts as running for {} s after it was last seen)",
            if running.len() == 1 {
                "a process is"
            } else {
                "processes are"
            },
            list.join(", "),
            metric_sync::presence::PRESENCE_GRACE.as_secs()
        );
    }
    let new = MasterKey::generate()?;
    match source {
        KeySource::Environment => {
            let count = store.rotate_master_key(&old, &new).await?;
            store.close().await;
            println!("re-sealed {count} secret(s). Set SWITCHBOARD_MASTER_KEY to the new key now:");
            println!("{}", new.to_base64().expose());
        }
        KeySource::KeyFile(path) | KeySource::CreatedKeyFile(path) => {
            // The new key is on disk before any secret is sealed under it, so a crash at any
            // point leaves a key that opens every secret: the old file, or the `.next` one.
            let next = path.with_extension("key.next");
            new.write_key_file(&next)?;
            let count = store.rotate_master_key(&old, &new).await?;
            store.close().await;
            std::fs::rename(&next, &path).with_context(|| {
                format!(
                    "secrets are now sealed under the key in {}; move it over {} by hand",
                    next.display(),
                    path.display()
                )
            })?;
            println!(
                "re-sealed {count} secret(s); the new key is in {}",
                path.display()
            );
        }
    }
    Ok(())
}
