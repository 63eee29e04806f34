//! `switchboard user ...` (add, list, disable, enable, role, delete, passwd, revoke) and
//! `switchboard token create`: first setup, managing people and scripts without a browser,
//! straight against the store through the same operations as the pages and the API.

use std::io::BufRead;

use anyhow::{Context, bail};
use app::{App, TokenName, UserName};
use store::Store as _;

use super::common::{StoreArgs, app_on, failed, no_twilio};

#[derive(clap::Args)]
pub struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(clap::Subcommand)]
enum UserCommand {
    /// Add a person who can sign in.
    Add {
        name: String,
        /// admin, editor or viewer.
        #[arg(long)]
        role: String,
        /// Read the password from the first line of standard input (the only way: never an argument).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List the people, their roles and whether they are disabled.
    List,
    /// Disable a person: their sessions end and their API tokens stop working until enabled.
    Disable { name: String },
    /// Enable a disabled person again.
    Enable { name: String },
    /// Give a person another role (the last enabled Admin keeps theirs).
    Role {
        name: String,
        /// admin, editor or viewer.
        #[arg(long)]
        role: String,
    },
    /// Delete a person with their sessions and API tokens (never the last enabled Admin).
    Delete { name: String },
    /// Set a person's password; their sessions end.
    Passwd {
        name: String,
        /// Read the password from the first line of standard input (the only way: never an argument).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// End every session and delete every API token of a person.
    Revoke { name: String },
}

#[derive(clap::Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(clap::Subcommand)]
enum TokenCommand {
    /// Create an API token for a user; it is printed once and never again.
    Create {
        #[arg(long)]
        user: String,
        /// A name to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

/// The first line of standard input, without its line ending: how passwords reach the CLI.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("could not read the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        bail!("the password on standard input is empty");
    }
    Ok(password.to_owned())
}

pub async fn run_user(args: UserArgs) -> anyhow::Result<()> {
    // Read before opening the store, so a bad input does not wait on the database.
    let password = match &args.command {
        UserCommand::Add { .. } | UserCommand::Passwd { .. } => password_from_stdin()?,
        _ => String::new(),
    };
    let app = app_on(args.store.open().await?, no_twilio()?);
    let done = match args.command {
        UserCommand::Add { name, role, .. } => add(&app, &name, &role, &password).await,
        UserCommand::List => list(&app).await,
        UserCommand::Disable { name } => disable(&app, &name, true).await,
        UserCommand::Enable { name } => disable(&app, &name, false).await,
        UserCommand::Role { name, role } => set_role(&app, &name, &role).await,
        UserCommand::Delete { name } => delete(&app, &name).await,
        UserCommand::Passwd { name, .. } => passwd(&app, &name, &password).await,
        UserCommand::Revoke { name } => revoke(&app, &name).await,
    };
    app.store().close().await;
    done
}

async fn add(app: &App, name: &str, role: &str, password: &str) -> anyhow::Result<()> {
    let role = app::people::role_named(role).map_err(failed)?;
    let name = UserName::parse(name)?;
    let user = app.add_user(&name, role, password).await.map_err(failed)?;
    println!("added user '{}' ({})", user.name, user.role.label());
    Ok(())
}

async fn list(app: &App) -> anyhow::Result<()> {
    for u in app.list_users().await.map_err(failed)? {
        let state = if u.disabled { "disabled" } else { "active" };
        println!("{}\t{}\t{state}", u.name, u.role.as_str());
    }
    Ok(())
}

async fn disable(app: &App, name: &str, disabled: bool) -> anyhow::Result<()> {
    let user = app.user_named(name).await.map_err(failed)?;
    app.set_user_disabled(user.id, disabled)
        .await
        .map_err(failed)?;
    if disabled {
        println!(
            "disabled '{}': their sessions ended and their API tokens stop working until enabled",
            user.name
        );
    } else {
        println!("enabled '{}'", user.name);
    }
    Ok(())
}

async fn set_role(app: &App, name: &str, role: &str) -> anyhow::Result<()> {
    let user = app.user_named(name).await.map_err(failed)?;
    let role = app::people::role_named(role).map_err(failed)?;
    let user = app.set_user_role(user.id, role).await.map_err(failed)?;
    println!("'{}' is now {}", user.name, user.role.label());
    Ok(())
}

async fn delete(app: &App, name: &str) -> anyhow::Result<()> {
    let user = app.user_named(name).await.map_err(failed)?;
    app.delete_user(user.id).await.map_err(failed)?;
    println!("deleted '{}' with their sessions and API tokens", user.name);
    Ok(())
}

async fn passwd(app: &App, name: &str, password: &str) -> anyhow::Result<()> {
    let user = app.user_named(name).await.map_err(failed)?;
    app.reset_password(user.id, password)
        .await
        .map_err(failed)?;
    println!(
        "set a new password for '{}': their sessions ended",
        user.name
    );
    Ok(())
}

async fn revoke(app: &App, name: &str) -> anyhow::Result<()> {
    let user = app.user_named(name).await.map_err(failed)?;
    let r = app.revoke_access(user.id).await.map_err(failed)?;
    println!(
        "ended {} session(s) and deleted {} API token(s) of '{}'",
        r.sessions, r.tokens, user.name
    );
    Ok(())
}

pub async fn run_token(args: TokenArgs) -> anyhow::Result<()> {
    let TokenCommand::Create { user, name } = args.command;
    let name = TokenName::parse(&name)?;
    let app = app_on(args.store.open().await?, no_twilio()?);
    let created = match app.user_named(&user).await {
        Ok(found) => app.create_token(found.id, &name).await,
        Err(e) => Err(e),
    };
    app.store().close().await;
    let (token, _info) = created.map_err(failed)?;
    eprintln!("API token for '{user}' (shown once; send it as `Authorization: Bearer ...`):");
    println!("{token}");
    Ok(())
}
