//! `switchboard fetch CONNECTION PATH`: read any Twilio GET endpoint through the connector and
//! print its pages and ledger. CONNECTION is a saved connection's label; `-` instead takes the
//! credentials from `--account-sid`, `--api-key-sid` and the secret from standard input, a no-echo
//! prompt, or `SWITCHBOARD_API_KEY_SECRET` (never from an argument).

use anyhow::{Context, bail};
use connector::twilio_request::{Header, Pagination, Param, RequestSpec, Window, ensure_read_only};
use connector::{Credentials, FetchOptions};
use std::io::Write;
use store::Store;

use app::connections::credentials_of;

use super::common::{StoreArgs, TwilioArgs, parse_instant, read_secret};

#[derive(clap::Args)]
pub struct Args {
    /// A saved connection's label, or `-` to give the credentials with flags.
    connection: String,
    /// The path after the host, e.g. /2010-04-01/Accounts/{AccountSid}/Messages.json
    path: String,
    /// The Twilio product host.
    #[arg(long, default_value = "api.twilio.com")]
    host: String,
    /// A query parameter, repeatable and kept in order: -p 'DateSent>={{date_from}}'
    #[arg(short = 'p', long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// An extra header, repeatable: --header 'Accept-Language: en'
    #[arg(long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Start of the date window for {{date_from}}: YYYY-MM-DD (midnight UTC) or RFC 3339.
    #[arg(long, requires = "to")]
    from: Option<String>,
    /// End (exclusive) of the date window for {{date_to}}: YYYY-MM-DD (midnight UTC) or RFC 3339.
    #[arg(long, requires = "from")]
    to: Option<String>,
    /// At most this many pages (never more than the connector's cap of 100).
    #[arg(long)]
    pages: Option<u32>,
    /// Read only the first page, ignoring next-page links.
    #[arg(long)]
    no_pagination: bool,
    /// Print each page as one line of JSON instead of pretty JSON.
    #[arg(long)]
    jsonl: bool,
    /// The HTTP method: only GET is accepted, because Switchboard only reads.
    #[arg(short = 'X', long, default_value = "GET")]
    method: String,
    /// With CONNECTION `-`: the Account SID.
    #[arg(long, env = "SWITCHBOARD_ACCOUNT_SID")]
    account_sid: Option<String>,
    /// With CONNECTION `-`: the API Key SID.
    #[arg(long, env = "SWITCHBOARD_API_KEY_SID")]
    api_key_sid: Option<String>,
    /// With CONNECTION `-`: read the API Key Secret from the first line of standard input.
    #[arg(long)]
    secret_stdin: bool,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    twilio: TwilioArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    ensure_read_only(&args.method)?;
    let spec = RequestSpec {
        host: args.host.clone(),
        path: args.path.clone(),
        params: args
            .params
            .iter()
            .map(|p| parse_param(p))
            .collect::<anyhow::Result<_>>()?,
        headers: args
            .headers
            .iter()
            .map(|h| parse_header(h))
            .collect::<anyhow::Result<_>>()?,
        pagination: if args.no_pagination {
            Pagination::None
        } else {
            Pagination::NextPage
        },
    };
    spec.validate()?;
    let window = match (&args.from, &args.to) {
        (Some(from), Some(to)) => Some(Window::new(parse_instant(from)?, parse_instant(to)?)?),
        _ => None,
    };
    let creds = credentials(&args).await?;
    let connector = args.twilio.connector()?;
    let options = FetchOptions {
        max_pages: args.pages,
        ..Default::default()
    };
    let mut stdout = std::io::stdout().lock();
    let ledger = connector
        .fetch_with(&creds, &spec, window, &options, |page| {
            let text = if args.jsonl {
                serde_json::to_string(&page.value)
            } else {
                serde_json::to_string_pretty(&page.value)
            };
            let text = text.map_err(std::io::Error::other)?;
            writeln!(stdout, "{text}")
        })
        .await
        .map_err(|failed| {
            eprintln!("ledger: {}", failed.ledger);
            anyhow::Error::new(failed.error)
        })?;
    drop(stdout);
    eprintln!("ledger: {ledger}");
    eprintln!("{}", serde_json::to_string(&ledger)?);
    if ledger.cap_hit {
        eprintln!(
            "warning: stopped at the cap of {} pages; more pages were left",
            ledger.page_cap
        );
    }
    Ok(())
}

fn parse_param(text: &str) -> anyhow::Result<Param> {
    let Some((key, value)) = text.split_once('=') else {
        bail!("parameter {text:?} must be KEY=VALUE");
    };
    // `DateSent>=2024-01-01` means the name `DateSent>`: Twilio's comparison names end in < or >.
    Ok(Param {
        key: key.to_owned(),
        value: value.to_owned(),
    })
}

fn parse_header(text: &str) -> anyhow::Result<Header> {
    let Some((name, value)) = text.split_once(':') else {
        bail!("header {text:?} must be 'Name: value'");
    };
    Ok(Header {
        name: name.trim().to_owned(),
        value: value.trim().to_owned(),
    })
}

async fn credentials(args: &Args) -> anyhow::Result<Credentials> {
    if args.connection != "-" {
        let store = args.store.open().await?;
        let connection = store
            .connection_by_label(&args.connection)
            .await?
            .with_context(|| {
                format!(
                    "no connection named '{}': see `switchboard connection list`, or pass - and the credentials",
                    args.connection
                )
            })?;
        store.close().await;
        return credentials_of(&connection).map_err(super::common::failed);
    }
    let (Some(account_sid), Some(api_key_sid)) = (&args.account_sid, &args.api_key_sid) else {
        bail!("with - as the connection, give --account-sid and --api-key-sid");
    };
    let secret = read_secret(args.secret_stdin)?;
    Ok(Credentials::parse(account_sid, api_key_sid, secret)?)
}
