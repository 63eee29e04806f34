//! `switchboard connection add|test|list|rename|remove|auth-token`: Twilio connections kept in
//! the store, each checked against Twilio before it is saved. The secret (and the Auth Token) is
//! read from standard input, a prompt, a file or the environment, sealed by the store, and never
//! printed.

use anyhow::{Context, bail};
use app::{App, AppError, Label};
use connector::ConnectionCheck;
use store::Store;

use super::common::{StoreArgs, TwilioArgs, app_on, failed, read_secret};

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
    /// Give a saved connection a new API Key Secret (a rotated key, or one to re-enter after
    /// `key reset --forget-secrets`); Twilio must accept it before it is saved.
    Update {
        label: String,
        /// Read the API Key Secret from the first line of standard input instead of a prompt.
        #[arg(long)]
        secret_stdin: bool,
    },
    /// Check a saved connection against Twilio again.
    Test { label: String },
    /// List saved connections (never their secrets).
    List,
    /// The Twilio accounts a connection reaches (its own and its subaccounts), as last
    /// discovered.
    Accounts {
        label: String,
        /// List them on Twilio first (the worker does at each sync).
        #[arg(long)]
        discover: bool,
    },
    /// Store, replace or remove the account's Auth Token, which verifies Twilio's signed status
    /// callbacks and Event Streams (an API key cannot); Twilio must accept a new one first.
    /// Prints the callback URL paths to put under the public URL in the Twilio Console.
    #[command(group(clap::ArgGroup::new("token").required(true).args(["auth_token_file", "from_env", "remove"])))]
    AuthToken {
        label: String,
        /// Read the Auth Token from the first line of this file (never from the command line,
        /// where other users and the shell history would see it).
        #[arg(long, value_name = "PATH")]
        auth_token_file: Option<std::path::PathBuf>,
        /// Read the Auth Token from this environment variable.
        #[arg(long, value_name = "VAR")]
        from_env: Option<String>,
        /// Remove the stored Auth Token: every callback is refused until one is set again.
        #[arg(long)]
        remove: bool,
    },
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
    let app = app_on(args.store.open().await?, args.twilio.connector()?);
    let done = match args.command {
        Command::Add {
            label,
            account_sid,
            api_key_sid,
            secret_stdin,
        } => add(&app, &label, &account_sid, &api_key_sid, secret_stdin).await,
        Command::Update {
            label,
            secret_stdin,
        } => update(&app, &label, secret_stdin).await,
        Command::Test { label } => test(&app, &label).await,
        Command::List => list(&app).await,
        Command::Accounts { label, discover } => accounts(&app, &label, discover).await,
        Command::AuthToken {
            label,
            auth_token_file,
            from_env,
            remove,
        } => {
            let source = match (auth_token_file, from_env) {
                _ if remove => TokenSource::Remove,
                (Some(path), _) => TokenSource::File(path),
                (None, Some(var)) => TokenSource::Env(var),
                (None, None) => bail!("give --auth-token-file, --from-env or --remove"),
            };
            auth_token(&app, &label, source).await
        }
        Command::Rename { label, new_label } => rename(&app, &label, &new_label).await,
        Command::Remove { label, yes } => remove(&app, &label, yes).await,
    };
    app.store().close().await;
    done
}

/// Checks the label (its rule, and that it is free) and the SIDs' form first, so a mistake is
/// reported before a secret is asked for; then Twilio decides.
async fn add(
    app: &App,
    label: &str,
    account_sid: &str,
    api_key_sid: &str,
    secret_stdin: bool,
) -> anyhow::Result<()> {
    let label = Label::parse(label)?;
    app::connections::ensure_label_free(app.store(), &label)
        .await
        .map_err(failed)?;
    domain::AccountSid::parse(account_sid)?;
    domain::ApiKeySid::parse(api_key_sid)?;
    let secret = read_secret(secret_stdin)?;
    let creds =
        app::connections::parse_credentials(account_sid, api_key_sid, secret).map_err(failed)?;
    match app.add_connection(&label, creds).await {
        Ok(added) => {
            report(&added.connection.label, &added.check);
            println!("{}: {}", added.connection.label, added.accounts);
            println!(
                "saved connection '{}' (id {})",
                added.connection.label, added.connection.id
            );
            Ok(())
        }
        Err(AppError::Refused { message, .. }) => {
            println!("{label}: {message}");
            bail!("the connection was not saved")
        }
        Err(e) => Err(failed(e)),
    }
}

async fn update(app: &App, label: &str, secret_stdin: bool) -> anyhow::Result<()> {
    let connection = find(app, label).await?;
    let secret = read_secret(secret_stdin)?;
    match app.update_connection_secret(connection.id, secret).await {
        Ok((saved, check)) => {
            report(&saved.label, &check);
            println!("saved the new secret of connection '{}'", saved.label);
            Ok(())
        }
        Err(AppError::Refused { message, .. }) => {
            println!("{label}: {message}");
            bail!("the secret was not saved")
        }
        Err(e) => Err(failed(e)),
    }
}

async fn test(app: &App, label: &str) -> anyhow::Result<()> {
    let connection = find(app, label).await?;
    let check = app.check_connection(&connection).await.map_err(failed)?;
    report(&connection.label, &check);
    if !check.is_connected() {
        bail!("the connection '{label}' does not work");
    }
    Ok(())
}

async fn list(app: &App) -> anyhow::Result<()> {
    let connections = app.store().list_connections().await?;
    if connections.is_empty() {
        println!("no connections yet: add one with `switchboard connection add LABEL`");
    }
    for c in connections {
        println!(
            "{:<24} account {}  key {}{}",
            c.label,
            c.account_sid,
            c.api_key_sid,
            if c.secret.is_ok() {
                ""
            } else {
                "  (secret unavailable: re-enter it)"
            }
        );
    }
    Ok(())
}

/// Prints the accounts table, after a discovery when asked; a discovery Twilio refuses still
/// prints what is known.
async fn accounts(app: &App, label: &str, discover: bool) -> anyhow::Result<()> {
    let connection = find(app, label).await?;
    if discover {
        let found =
            app::twilio_accounts::AccountsFound::of(&app.discover_accounts(connection.id).await);
        println!("{}: {found}", connection.label);
    }
    let accounts = app.twilio_accounts(connection.id).await.map_err(failed)?;
    if accounts.is_empty() {
        println!(
            "no accounts discovered yet: run `switchboard connection accounts {label} --discover`"
        );
    }
    println!(
        "{:<34}  {:<9}  {:<20}  {:<20}  NAME / NOTE",
        "SID", "STATUS", "FIRST SEEN", "STATUS CHANGED"
    );
    for a in &accounts {
        let note = app::twilio_accounts::note(a);
        println!(
            "{:<34}  {:<9}  {:<20}  {:<20}  {}{}{}",
            a.sid,
            a.status.as_str(),
            when(a.first_seen_ms),
            when(a.status_changed_ms),
            a.friendly_name,
            if a.is_parent {
                " (this connection's account)"
            } else {
                ""
            },
            note.map(|n| format!(" · {n}")).unwrap_or_default()
        );
    }
    Ok(())
}

fn when(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| ms.to_string())
}

async fn rename(app: &App, label: &str, new_label: &str) -> anyhow::Result<()> {
    let connection = find(app, label).await?;
    let new_label = Label::parse(new_label)?;
    let renamed = app
        .rename_connection(connection.id, &new_label)
        .await
        .map_err(failed)
        .with_context(|| format!("could not rename the connection '{label}'"))?;
    println!("renamed connection '{label}' to '{}'", renamed.label);
    Ok(())
}

/// Asks for `--yes` before stopping the metrics that read through the connection.
async fn remove(app: &App, label: &str, yes: bool) -> anyhow::Result<()> {
    let connection = find(app, label).await?;
    let users: Vec<String> = app::connections::metrics_of(app.store(), connection.id)
        .await
        .map_err(failed)?
        .into_iter()
        .map(|m| m.name)
        .collect();
    if !users.is_empty() && !yes {
        bail!(
            "metrics use the connection '{label}' and would stop syncing: {}. Run again with --yes to remove it anyway",
            users.join(", ")
        );
    }
    app.remove_connection(connection.id).await.map_err(failed)?;
    println!("removed connection '{label}'");
    if !users.is_empty() {
        println!("these metrics no longer sync: {}", users.join(", "));
    }
    Ok(())
}

/// Where `connection auth-token` takes the token from, or that it removes it.
enum TokenSource {
    File(std::path::PathBuf),
    Env(String),
    Remove,
}

/// The token's text: the first line of the file, or the variable's value; errors name the
/// source, never the text.
fn read_token(source: &TokenSource) -> anyhow::Result<Option<domain::Secret>> {
    Ok(match source {
        TokenSource::Remove => None,
        TokenSource::File(path) => {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!("could not read the Auth Token file {}", path.display())
            })?;
            Some(domain::Secret::new(text.lines().next().unwrap_or("")))
        }
        TokenSource::Env(var) => match std::env::var(var) {
            Ok(value) => Some(domain::Secret::new(value)),
            Err(_) => bail!("the environment variable {var} is not set (or not valid UTF-8)"),
        },
    })
}

/// Stores or removes the Auth Token and prints the callback paths. The command line is the
/// operator's, so it acts as an Admin.
async fn auth_token(app: &App, label: &str, source: TokenSource) -> anyhow::Result<()> {
    let connection = find(app, label).await?;
    let token = match read_token(&source)? {
        Some(text) => Some(app::realtime_settings::parse_auth_token(&text).map_err(failed)?),
        None => None,
    };
    let removing = token.is_none();
    let hook = match app
        .set_connection_auth_token(app::Role::Admin, connection.id, token)
        .await
    {
        Ok(hook) => hook,
        Err(AppError::Refused { message, .. }) => {
            println!("{label}: {message}");
            bail!("the Auth Token was not saved")
        }
        Err(e) => return Err(failed(e)),
    };
    if removing {
        println!(
            "removed the Auth Token of connection '{label}': its callbacks are refused until one is set again"
        );
        return Ok(());
    }
    println!("saved the Auth Token of connection '{label}' (Twilio accepted it)");
    println!("callback URLs (put them under the server's public URL, --public-url):");
    let paths = app::realtime_settings::CallbackPaths::of(&hook);
    for (what, path) in paths.labelled() {
        println!("  {what}: {path}");
    }
    Ok(())
}

async fn find(app: &App, label: &str) -> anyhow::Result<store::Connection> {
    match app.connection_by_label(label).await {
        Err(AppError::NotFound(_)) => {
            bail!("no connection named '{label}': see `switchboard connection list`")
        }
        found => found.map_err(failed),
    }
}

fn report(label: &str, check: &ConnectionCheck) {
    println!("{label}: {check}");
}
