//! `switchboard library list|show|add`: the ready metrics shipped in the binary. Adding one
//! puts it on the Metrics screen of a connection, so the scheduler keeps it synced.

use anyhow::Context as _;

use store::Store as _;

use super::common::{StoreArgs, app_on, failed, no_twilio};
use super::jsonata::emit;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// List the library's metrics by category.
    List {
        /// Only this category: Messaging, Voice, "Spend and usage", Account, Reliability, Verify.
        #[arg(long)]
        category: Option<String>,
    },
    /// Print a library metric's file: its category, suggested chart and definition.
    Show {
        /// The metric's file name (e.g. messages-sent) or display name.
        name: String,
    },
    /// Add a library metric for a connection and put it on the Metrics screen (so it syncs).
    Add {
        /// The metric's file name (e.g. messages-sent) or display name.
        name: String,
        /// The label of the Twilio connection to read it through.
        #[arg(long)]
        connection: String,
        /// Which accounts it reads: `connection` (this account only, the default), `active`
        /// (every active account the connection lists), or Account SIDs separated by commas.
        #[arg(long, default_value = "connection")]
        accounts: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::List { category } => {
            let category = category
                .as_deref()
                .map(library::Category::parse)
                .transpose()?;
            let metrics = library::list(category)?;
            emit(&library::render_list(&metrics))
        }
        Command::Show { name } => {
            let m = library::find(&name)?;
            let file = format!("{}.json", m.slug);
            let text = library::files()
                .iter()
                .find(|(f, _)| *f == file)
                .map(|(_, text)| *text)
                .with_context(|| format!("the library file {file} is not embedded"))?;
            emit(text)
        }
        Command::Add {
            name,
            connection,
            accounts,
            store,
        } => {
            let scope = app::metrics::parse_scope(&accounts).map_err(failed)?;
            let app = app_on(store.open().await?, no_twilio()?);
            let added = app
                .add_library_metric_scoped(&name, &connection, &scope)
                .await;
            app.store().close().await;
            let added = added.map_err(failed)?;
            emit(&format!(
                "added \"{}\" as metric {} for the connection '{connection}'; it is on the Metrics screen and its backfill is queued for the sync worker (or run it now with `switchboard sync`)\n",
                added.name, added.id
            ))
        }
    }
}
