//! `switchboard key generate|rotate|reset`: make a master key file, re-seal every stored secret
//! under a new key, or start over with a new key when the old one is lost.

use std::path::PathBuf;

use anyhow::{Context, bail};
use store::{AnyStore, KeyConfig, KeySource, KeyState, MasterKey, OpenMode, Store};

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
    /// Write a fresh master key to FILE (0600); an existing file is never overwritten.
    Generate {
        /// Where to write the key, e.g. /etc/switchboard/master.key.
        file: PathBuf,
    },
    /// Generate a new master key and re-seal every secret under it, in one transaction.
    Rotate,
    /// For a store whose master key is lost: record the given key (--master-key-file or
    /// SWITCHBOARD_MASTER_KEY; for SQLite without one, a new key file in the data folder) and
    /// drop every secret sealed under the lost key. Re-enter each connection's secret after
    /// with `switchboard connection update LABEL --secret-stdin`.
    Reset {
        /// Required: says you accept that the unreadable secrets are dropped.
        #[arg(long, required = true)]
        forget_secrets: bool,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Generate { file } => {
            MasterKey::generate_file(&file)?;
            println!(
                "wrote a new master key to {} (mode 0600). Keep a copy somewhere other than the database's backups; pass it with --master-key-file {} (or SWITCHBOARD_MASTER_KEY_FILE)",
                file.display(),
                file.display()
            );
            Ok(())
        }
        Command::Rotate => rotate(&args.store).await,
        Command::Reset { forget_secrets } => {
            if !forget_secrets {
                bail!("`key reset` drops secrets: pass --forget-secrets to say so");
            }
            reset(&args.store).await
        }
    }
}

/// A running server keeps the key in memory: after the re-sealing it could open no secret
/// (connections, channels, share links) until restarted. So the key changes only alone.
async fn refuse_while_running(store: &AnyStore, command: &str) -> anyhow::Result<()> {
    let running = metric_sync::presence::running(store).await?;
    if running.is_empty() {
        return Ok(());
    }
    Err(super::common::still_running(&running, command))
}

async fn rotate(args: &StoreArgs) -> anyhow::Result<()> {
    let opened = args.open_with(OpenMode::RequireCurrent).await?;
    let store = opened.store;
    let done = async {
        let old = match (store.key_state(), opened.key) {
            (KeyState::Verified, Some(old)) => old,
            _ => bail!(
                "`key rotate` needs the key that opens this store's secrets. If that key is lost, use `switchboard key reset --forget-secrets`"
            ),
        };
        refuse_while_running(&store, "key rotate").await?;
        let new = MasterKey::generate()?;
        match opened.source {
            KeySource::Environment => {
                let count = store.rotate_master_key(&old, &new).await?;
                println!(
                    "re-sealed {count} secret(s). Set SWITCHBOARD_MASTER_KEY to the new key now:"
                );
                println!("{}", new.to_base64().expose());
            }
            KeySource::KeyFile(path) | KeySource::CreatedKeyFile(path) => {
                // The new key is on disk before any secret is sealed under it, so a crash at any
                // point leaves a key that opens every secret: the old file, or the `.next` one.
                let next = path.with_extension("key.next");
                new.write_key_file(&next)?;
                let count = store.rotate_master_key(&old, &new).await?;
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
            KeySource::None => bail!("`key rotate` needs the current master key"),
        }
        Ok(())
    }
    .await;
    store.close().await;
    done
}

async fn reset(args: &StoreArgs) -> anyhow::Result<()> {
    let opened = args.open_with(OpenMode::RequireCurrent).await?;
    let store = opened.store;
    let done = async {
        if store.key_state() == KeyState::Verified {
            bail!(
                "the master key given opens this store's secrets: nothing is lost, so nothing is reset (to change the key, use `switchboard key rotate`)"
            );
        }
        refuse_while_running(&store, "key reset --forget-secrets").await?;
        let (key, where_) = match (opened.key, &opened.config) {
            (Some(key), _) => {
                let where_ = match &opened.source {
                    KeySource::Environment => "SWITCHBOARD_MASTER_KEY".to_owned(),
                    KeySource::KeyFile(p) | KeySource::CreatedKeyFile(p) => {
                        p.display().to_string()
                    }
                    KeySource::None => String::new(),
                };
                (key, where_)
            }
            (None, KeyConfig::DefaultFile(path)) => {
                let key = MasterKey::generate_file(path)?;
                (key, format!("a new key file {}", path.display()))
            }
            (None, _) => bail!(
                "give the new master key: make one with `switchboard key generate FILE`, then run `switchboard key reset --forget-secrets --master-key-file FILE`"
            ),
        };
        let forgotten = store.forget_secrets(&key).await?;
        println!("the store's secrets are now sealed under the key in {where_}.");
        report_forgotten(&forgotten);
        Ok(())
    }
    .await;
    store.close().await;
    done
}

/// What was dropped, and how to re-enter each.
fn report_forgotten(forgotten: &store::ForgottenSecrets) {
    if forgotten.connections.is_empty()
        && forgotten.channels.is_empty()
        && forgotten.signing_keys.is_empty()
        && forgotten.auth_tokens.is_empty()
    {
        println!("no secret was stored: nothing to re-enter.");
    }
    for label in &forgotten.connections {
        println!(
            "connection '{label}': secret dropped; re-enter it with `switchboard connection update '{label}' --secret-stdin`"
        );
    }
    for label in &forgotten.auth_tokens {
        println!(
            "connection '{label}': Auth Token dropped, so its status callbacks are refused until it is re-entered on the connection's Real time page"
        );
    }
    for name in &forgotten.channels {
        println!(
            "channel '{name}': secret dropped; re-enter it by editing the channel on the Channels screen"
        );
    }
    if !forgotten.signing_keys.is_empty() {
        println!(
            "signing keys ({}) dropped: new ones are made on first use; share links made before no longer open, so share those boards again",
            forgotten.signing_keys.join(", ")
        );
    }
}
