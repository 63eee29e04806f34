//! `switchboard user ...` (add, list, disable, enable, role, delete, passwd, revoke) and
//! `switchboard token create`: first setup, managing people and scripts without a browser,
//! straight against the store through the same operations as the pages and the API.

use std::io::BufRead;
use std::sync::Arc;

use anyhow::{Context, bail};
use web::{Accounts as _, StoreAccounts};

use super::common::StoreArgs;

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

fn failed(e: web::WebError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

pub async fn run_user(args: UserArgs) -> anyhow::Result<()> {
    // Read before opening the store, so a bad input does not wait on the database.
    let password = match &args.command {
        UserCommand::Add { .. } | UserCommand::Passwd { .. } => Some(password_from_stdin()?),
        _ => None,
    };
    let store = Arc::new(args.store.open().await?);
    let accounts = StoreAccounts::new(Arc::clone(&store));
    let password = password.unwrap_or_default();
    let named = |name: String| {
        let accounts = &accounts;
        async move { web::ops::user_named(accounts, &name).await.map_err(failed) }
    };
    match args.command {
        UserCommand::Add { name, role, .. } => {
            let user = web::ops::add_user_to(&accounts, &name, &role, &password)
                .await
                .map_err(failed)?;
            println!("added user '{}' ({})", user.name, user.role.label());
        }
        UserCommand::List => {
            for u in accounts.list_users().await.map_err(|e| failed(e.into()))? {
                let state = if u.disabled { "disabled" } else { "active" };
                println!("{}\t{}\t{state}", u.name, u.role.as_str());
            }
        }
        UserCommand::Disable { name } => {
            let user = named(name).await?;
            web::ops::set_user_disabled(&accounts, user.id, true)
                .await
                .map_err(failed)?;
            println!(
                "disabled '{}': their sessions ended and their API tokens stop working until enabled",
                user.name
            );
        }
        UserCommand::Enable { name } => {
            let user = named(name).await?;
            web::ops::set_user_disabled(&accounts, user.id, false)
                .await
                .map_err(failed)?;
            println!("enabled '{}'", user.name);
        }
        UserCommand::Role { name, role } => {
            let user = named(name).await?;
            let user = web::ops::set_user_role(&accounts, user.id, &role)
                .await
                .map_err(failed)?;
            println!("'{}' is now {}", user.name, user.role.label());
        }
        UserCommand::Delete { name } => {
            let user = named(name).await?;
            web::ops::delete_user(&accounts, user.id)
                .await
                .map_err(failed)?;
            println!("deleted '{}' with their sessions and API tokens", user.name);
        }
        UserCommand::Passwd { name, .. } => {
            let user = named(name).await?;
            web::ops::reset_password(&accounts, user.id, &password)
                .await
                .map_err(failed)?;
            println!(
                "set a new password for '{}': their sessions ended",
                user.name
            );
        }
        UserCommand::Revoke { name } => {
            let user = named(name).await?;
            let r = web::ops::revoke_access(&accounts, user.id)
                .await
                .map_err(failed)?;
            println!(
                "ended {} session(s) and deleted {} API token(s) of '{}'",
                r.sessions, r.tokens, user.name
            );
        }
    }
    Ok(())
}

pub async fn run_token(args: TokenArgs) -> anyhow::Result<()> {
    let TokenCommand::Create { user, name } = args.command;
    let store = Arc::new(args.store.open().await?);
    let accounts = StoreAccounts::new(Arc::clone(&store));
    let (token, _info) = web::ops::create_token_for_user(&accounts, &user, &name)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!("API token for '{user}' (shown once; send it as `Authorization: Bearer ...`):");
    println!("{token}");
    Ok(())
}
