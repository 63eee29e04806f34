//! `switchboard user add` and `switchboard token create`: first setup and scripts without a
//! browser, straight against the store.

use std::io::BufRead;
use std::sync::Arc;

use anyhow::{Context, bail};
use web::StoreAccounts;

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

pub async fn run_user(args: UserArgs) -> anyhow::Result<()> {
    let UserCommand::Add {
        name,
        role,
        password_stdin: _,
    } = args.command;
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("could not read the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        bail!("the password on standard input is empty");
    }
    let store = Arc::new(args.store.open().await?);
    let accounts = StoreAccounts::new(Arc::clone(&store));
    let user = web::ops::add_user_to(&accounts, &name, &role, password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("added user '{}' ({:?})", user.name, user.role);
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
