//! `switchboard connection add|test|list|rename|remove`: Twilio connections kept in the store, each
//! checked against Twilio before it is saved. The secret is read from standard input or a
//! prompt, sealed by the store, and never printed.

use anyhow::{Context, bail};
use connector::{ConnectionCheck, Credentials};
use store::Store;

use super::common::{StoreArgs, TwilioArgs, credentials_of, now_ms, read_secret};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    twilio: TwilioArgs,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Check a Twilio account's credentials and save them under a label.
    Add {
        /// A name for this connection, unique in this Switchboard.
        label: String,
        /// The Account SID (AC + 32 hex), from the Twilio Console: Account > General Settings.
        #[arg(long)]
        account_sid: String,
        /// The API Key SID (SK + 32 hex), from Account > API keys & tokens (key type Main).
        #[arg(long)]
        api_key_sid: String,
        /// Read the API Key Secret from the first line of standard input instead of a prompt.
        #[arg(long)]
        secret_stdin: bool,
    },
    /// Check a saved connection against Twilio again.
    Test { label: String },
    /// List saved connections (never their secrets).
    List,
    /// Give a saved connection a new name; the metrics reading through it follow.
    Rename { label: String, new_label: String },
    /// Remove a saved connection.
    Remove {
        label: String,
        /// Remove it even though metrics use it (they stop syncing).
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = args.store.open().await?;
    match args.command {
        Command::Add {
            label,
            account_sid,
            api_key_sid,
            secret_stdin,
        } => {
            let label = label.trim().to_owned();
            if label.is_empty() {
                bail!("the connection label is empty: give it a name, e.g. 'production'");
            }
            if store.connection_by_label(&label).await?.is_some() {
                bail!("a connection named '{label}' exists already: choose another label");
            }
            // Form first, so a typo is reported before a secret is asked for.
            domain::AccountSid::parse(&account_sid)?;
            domain::ApiKeySid::parse(&api_key_sid)?;
            let secret = read_secret(secret_stdin)?;
            let creds = Credentials::parse(&account_sid, &api_key_sid, secret)?;
            let check = args.twilio.connector()?.check(&creds).await;
            report(&label, &check);
            if !check.is_connected() {
                bail!("the connection was not saved");
            }
            let saved = store
                .create_connection(
                    &store::NewConnection {
                        label,
                        account_sid: creds.account_sid,
                        api_key_sid: creds.api_key_sid,
                        secret: creds.secret,
                    },
                    now_ms(),
                )
                .await?;
            println!("saved connection '{}' (id {})", saved.label, saved.id);
        }
        Command::Test { label } => {
            let connection = find(&store, &label).await?;
            let check = args
                .twilio
                .connector()?
                .check(&credentials_of(&connection))
                .await;
            report(&connection.label, &check);
            if !check.is_connected() {
                bail!("the connection '{label}' does not work");
            }
        }
        Command::List => {
            let connections = store.list_connections().await?;
            if connections.is_empty() {
                println!("no connections yet: add one with `switchboard connection add LABEL`");
            }
            for c in connections {
                println!(
                    "{:<24} account {}  key {}",
                    c.label, c.account_sid, c.api_key_sid
                );
            }
        }
        Command::Rename { label, new_label } => {
            let connection = find(&store, &label).await?;
            let renamed = web::ops::rename_connection(&store, connection.id, &new_label)
                .await
                .with_context(|| format!("could not rename the connection '{label}'"))?;
            println!("renamed connection '{label}' to '{}'", renamed.label);
        }
        Command::Remove { label, yes } => {
            let connection = find(&store, &label).await?;
            let users: Vec<String> = store
                .list_metrics()
                .await?
                .into_iter()
                .filter(|m| m.connection_id == Some(connection.id))
                .map(|m| m.name)
                .collect();
            if !users.is_empty() && !yes {
                bail!(
                    "metrics use the connection '{label}' and would stop syncing: {}. Run again with --yes to remove it anyway",
                    users.join(", ")
                );
            }
            store.delete_connection(connection.id).await?;
            println!("removed connection '{label}'");
            if !users.is_empty() {
                println!("these metrics no longer sync: {}", users.join(", "));
            }
        }
    }
    store.close().await;
    Ok(())
}

async fn find(store: &store::AnyStore, label: &str) -> anyhow::Result<store::Connection> {
    store.connection_by_label(label).await?.with_context(|| {
        format!("no connection named '{label}': see `switchboard connection list`")
    })
}

fn report(label: &str, check: &ConnectionCheck) {
    println!("{label}: {check}");
}
