//! `switchboard fetch`: read any Twilio GET endpoint through the connector and print its pages and
//! ledger. Until connections are stored, the credentials come from flags and the secret from
//! standard input, a no-echo prompt, or `SWITCHBOARD_API_KEY_SECRET` (never from an argument).

use anyhow::{Context, bail};
use connector::twilio_request::{Header, Pagination, Param, RequestSpec, Window, ensure_read_only};
use connector::{BaseUrl, Connector, ConnectorConfig, Credentials, FetchOptions};
use domain::Secret;
use std::io::{BufRead, IsTerminal, Write};

#[derive(clap::Args)]
pub struct Args {
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
    #[arg(long, env = "SWITCHBOARD_ACCOUNT_SID")]
    account_sid: String,
    #[arg(long, env = "SWITCHBOARD_API_KEY_SID")]
    api_key_sid: String,
    /// Read the API Key Secret from the first line of standard input.
    #[arg(long)]
    secret_stdin: bool,
    /// Send every Twilio request to this base URL instead (tests, demo, the simulator).
    #[arg(long, env = "SWITCHBOARD_TWILIO_BASE_URL")]
    twilio_base_url: Option<String>,
    /// Requests in flight per Twilio account.
    #[arg(long, default_value_t = connector::DEFAULT_MAX_IN_FLIGHT)]
    max_in_flight: usize,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
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
    let base_url = args
        .twilio_base_url
        .as_deref()
        .map(BaseUrl::parse)
        .transpose()?;
    if let Some(base) = &base_url {
        eprintln!("note: --twilio-base-url is set: every Twilio request goes to {base}");
    }
    let secret = read_secret(args.secret_stdin)?;
    let creds = Credentials::parse(&args.account_sid, &args.api_key_sid, secret)?;
    let connector = Connector::new(ConnectorConfig {
        base_url,
        max_in_flight: args.max_in_flight,
        ..ConnectorConfig::default()
    })?;
    let options = FetchOptions {
        max_pages: args.pages,
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

fn parse_instant(text: &str) -> anyhow::Result<jiff::Timestamp> {
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        return Ok(date.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp());
    }
    text.parse::<jiff::Timestamp>()
        .with_context(|| format!("{text:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 instant"))
}

fn read_secret(from_stdin: bool) -> anyhow::Result<Secret> {
    let stdin = std::io::stdin();
    if !from_stdin {
        if let Ok(value) = std::env::var("SWITCHBOARD_API_KEY_SECRET") {
            return Ok(Secret::new(value));
        }
        if !stdin.is_terminal() {
            bail!(
                "no API Key Secret: pass --secret-stdin and pipe it in, set SWITCHBOARD_API_KEY_SECRET, or run in a terminal to be prompted"
            );
        }
        eprint!("API Key Secret: ");
        std::io::stderr().flush()?;
    }
    // Turn off terminal echo while the secret is typed; ignore failure (not a terminal).
    let echo_off = !from_stdin && set_echo(false);
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if echo_off {
        set_echo(true);
        eprintln!();
    }
    read.context("could not read the API Key Secret from standard input")?;
    Ok(Secret::new(line.trim_end_matches(['\r', '\n'])))
}

fn set_echo(on: bool) -> bool {
    std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(std::process::Stdio::inherit())
        .status()
        .is_ok_and(|s| s.success())
}
