//! `switchboard sim`: run the Twilio simulator standalone, or dump its dataset as JSON.

use std::io::Write;

use anyhow::{Context, bail};
use twilio_sim::{
    AccountError, AccountStates, DayRange, Faults, Incident, IncidentError, LiveConfig, LiveError,
    LiveFaults, LiveHandle, MAX_SUBACCOUNTS, SimConfig, Sizes, SlowBody, StartState,
};

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<SimCommand>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Subcommand)]
enum SimCommand {
    /// Write the whole dataset (every resource as the API serves it, plus every account's SID,
    /// auth token and API keys) as JSON.
    Dump(DumpArgs),
}

#[derive(clap::Args)]
struct DataArgs {
    /// Seed of the generated data: the same seed, clock and sizes give the same data.
    #[arg(long, env = "SWITCHBOARD_SIM_SEED", default_value_t = 1)]
    seed: u64,
    /// The simulator's fixed clock (RFC 3339, e.g. 2026-03-15T12:00:00Z); data ends here.
    /// Default: the current time.
    #[arg(long, env = "SWITCHBOARD_SIM_NOW")]
    now: Option<String>,
    /// Average messages per day of the main account (subaccounts get a third).
    #[arg(long, env = "SWITCHBOARD_SIM_MESSAGES_PER_DAY")]
    messages_per_day: Option<u32>,
    /// Average calls per day of the main account.
    #[arg(long, env = "SWITCHBOARD_SIM_CALLS_PER_DAY")]
    calls_per_day: Option<u32>,
    /// Days of history before the day of `--now`.
    #[arg(long, env = "SWITCHBOARD_SIM_DAYS")]
    days: Option<u32>,
    /// Number of subaccounts of the main account (at most 100).
    #[arg(long, env = "SWITCHBOARD_SIM_SUBACCOUNTS")]
    subaccounts: Option<u32>,
    /// Average conferences per day.
    #[arg(long, env = "SWITCHBOARD_SIM_CONFERENCES_PER_DAY")]
    conferences_per_day: Option<u32>,
    /// Average Verify attempts per day.
    #[arg(long, env = "SWITCHBOARD_SIM_VERIFY_ATTEMPTS_PER_DAY")]
    verify_attempts_per_day: Option<u32>,
    /// Make the data go wrong in a window of hours (repeatable), so detection can be scored:
    /// DATE:KIND[:HOURS], DATE a UTC day YYYY-MM-DD starting at 09:00 UTC, or YYYY-MM-DDTHH to
    /// choose the hour; HOURS 1 to 168, default 6. KIND is one of: carrier-filtering (35 % of
    /// outbound messages undelivered with error 30007 "Message filtered"), voice-outage (85 %
    /// of calls end failed), traffic-drop (messages and calls fall to 20 % of their volume),
    /// spend-spike (outbound-api messages cost 5 times their price per segment). Records
    /// outside the windows stay exactly as without incidents; the dump lists them under
    /// "incidents", with what a detector should name.
    #[arg(long = "incident", value_name = "DATE:KIND[:HOURS]", value_parser = parse_incident)]
    incidents: Vec<Incident>,
    /// Start a subaccount in a status (repeatable): INDEX:STATUS, INDEX the subaccount's number
    /// from 1 (the order they are listed in), STATUS one of active, suspended (its resources
    /// answer 403 / 20005), closed (401 / 20003) or absent (not created yet: missing from
    /// Accounts.json, its resources answer 404). Its records stay in the data; the dump shows
    /// each account's status.
    #[arg(long = "account-state", value_name = "INDEX:STATUS", value_parser = parse_start_state)]
    account_states: Vec<StartState>,
}

fn parse_incident(value: &str) -> Result<Incident, IncidentError> {
    value.parse()
}

fn parse_start_state(value: &str) -> Result<StartState, AccountError> {
    value.parse()
}

#[derive(clap::Args)]
struct DumpArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<std::path::PathBuf>,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Port to listen on.
    #[arg(long, env = "SWITCHBOARD_SIM_PORT", default_value_t = 8099)]
    port: u16,
    /// Address to bind.
    #[arg(long, env = "SWITCHBOARD_SIM_BIND", default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    #[command(flatten)]
    data: DataArgs,
    /// Requests in flight allowed per account; past it the answer is 429 / 20429.
    #[arg(long)]
    concurrency_limit: Option<u32>,
    /// Share (0 to 1) of requests answered 429 at random.
    #[arg(long, default_value_t = 0.0)]
    rate_429: f64,
    /// Share (0 to 1) of requests answered 500 at random.
    #[arg(long, default_value_t = 0.0)]
    rate_500: f64,
    /// Share (0 to 1) of requests answered 503 at random.
    #[arg(long, default_value_t = 0.0)]
    rate_503: f64,
    /// Send `Retry-After: SECS` on every 429 (default: no Retry-After, as Twilio usually does).
    #[arg(long)]
    retry_after: Option<u64>,
    /// Fixed delay before each answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Random extra delay up to this many milliseconds.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Share (0 to 1) of successful bodies sent as invalid JSON.
    #[arg(long, default_value_t = 0.0)]
    malformed_rate: f64,
    /// Share (0 to 1) of successful bodies cut to half.
    #[arg(long, default_value_t = 0.0)]
    truncated_rate: f64,
    /// Trickle bodies: CHUNK_BYTES:INTERVAL_MS, e.g. 512:50.
    #[arg(long)]
    slow_body: Option<String>,
    /// Answer 404 on Usage/Records/Daily.json for requests overlapping START..END
    /// (YYYY-MM-DD..YYYY-MM-DD); repeatable.
    #[arg(long)]
    usage_daily_404: Vec<String>,
    /// The main account's credentials get 401 / 20003 on this subaccount's resources, while it
    /// still appears in Accounts.json and its own credentials work (repeatable; an Account SID).
    #[arg(long = "deny-subaccount", value_name = "SID")]
    deny_subaccounts: Vec<String>,
    /// Boxed: the live flags would make every `Command` as large as `sim`'s.
    #[command(flatten)]
    live: Box<LiveArgs>,
}

/// `--live`: the clock runs, traffic is created and its status changes are pushed.
#[derive(clap::Args)]
struct LiveArgs {
    /// Let the clock run from --now: new outbound messages and calls are created in one account
    /// as time passes, move through their statuses, show up in Messages.json / Calls.json, and
    /// each status change is pushed (signed with the account's auth token) to the URLs below.
    #[arg(long)]
    live: bool,
    /// Simulated seconds per real second (above 0, at most 3600).
    #[arg(
        long,
        requires = "live",
        allow_negative_numbers = true,
        default_value_t = 1.0
    )]
    speed: f64,
    /// New outbound messages per simulated minute.
    #[arg(
        long,
        requires = "live",
        allow_negative_numbers = true,
        default_value_t = 60.0
    )]
    live_messages_per_minute: f64,
    /// New outbound calls per simulated minute.
    #[arg(
        long,
        requires = "live",
        allow_negative_numbers = true,
        default_value_t = 10.0
    )]
    live_calls_per_minute: f64,
    /// The account whose traffic it is (an Account SID; default: the main account).
    #[arg(long, requires = "live", value_name = "SID")]
    live_account: Option<String>,
    /// Where message status callbacks go (form POSTs, as Twilio sends a message's StatusCallback).
    #[arg(long, requires = "live", value_name = "URL")]
    message_callback: Option<String>,
    /// Where call status callbacks go.
    #[arg(long, requires = "live", value_name = "URL")]
    call_callback: Option<String>,
    /// An Event Streams webhook sink (JSON batches of CloudEvents every 250 ms).
    #[arg(long, requires = "live", value_name = "URL")]
    event_sink: Option<String>,
    /// Percentage of pushes sent twice.
    #[arg(long, requires = "live", default_value_t = 0)]
    duplicate_pct: u8,
    /// Percentage of pushes held back and sent after the next one of the same record.
    #[arg(long, requires = "live", default_value_t = 0)]
    reorder_pct: u8,
    /// Each push waits a random delay up to this many (real) milliseconds.
    #[arg(long, requires = "live", default_value_t = 0)]
    max_delay_ms: u64,
    /// Percentage of pushes never sent.
    #[arg(long, requires = "live", default_value_t = 0)]
    drop_pct: u8,
    /// Seed of the live traffic (the same seed creates the same records in the same order).
    #[arg(long, requires = "live", default_value_t = 1)]
    live_seed: u64,
}

/// The live settings, or `None` without `--live`; a setting out of range is refused naming
/// its flag.
fn live_config(args: &LiveArgs) -> anyhow::Result<Option<LiveConfig>> {
    if !args.live {
        return Ok(None);
    }
    let config = LiveConfig {
        speed: args.speed,
        messages_per_minute: args.live_messages_per_minute,
        calls_per_minute: args.live_calls_per_minute,
        account: args.live_account.clone(),
        message_callback: args.message_callback.clone(),
        call_callback: args.call_callback.clone(),
        event_sink: args.event_sink.clone(),
        faults: LiveFaults {
            duplicate_pct: args.duplicate_pct,
            reorder_pct: args.reorder_pct,
            max_delay_ms: args.max_delay_ms,
            drop_pct: args.drop_pct,
        },
        seed: args.live_seed,
    };
    config.validate().map_err(live_refusal)?;
    Ok(Some(config))
}

/// A live-mode refusal in the words of the flag that caused it.
fn live_refusal(e: LiveError) -> anyhow::Error {
    let flag = |what: &str| match what {
        "messages_per_minute" => "--live-messages-per-minute".to_string(),
        "calls_per_minute" => "--live-calls-per-minute".to_string(),
        other => format!("--{}", other.replace('_', "-")),
    };
    match e {
        LiveError::BadSpeed(v) => anyhow::anyhow!(
            "--speed {v}: use a number above 0 and at most 3600 (simulated seconds per real second)"
        ),
        LiveError::BadRate { what, value } => anyhow::anyhow!(
            "{} {value}: use a number from 0 to 100000 per simulated minute",
            flag(what)
        ),
        LiveError::BadUrl { what, url } => {
            anyhow::anyhow!("{} {url:?}: use an http:// or https:// URL", flag(what))
        }
        LiveError::BadPercent { what, value } => {
            anyhow::anyhow!("{} {value}: a percentage is at most 100", flag(what))
        }
        LiveError::UnknownAccount(sid) => anyhow::anyhow!(
            "--live-account {sid}: no such account in this simulator (see `switchboard sim dump`, \
             or drop the flag for the main account)"
        ),
        other => anyhow::anyhow!("live mode: {other}"),
    }
}

/// What live mode will do, printed at start.
fn print_live(config: &LiveConfig, account: &str, base: &str) {
    let f = &config.faults;
    let or_none = |u: &Option<String>| u.clone().unwrap_or_else(|| "(none)".into());
    println!(
        "live mode: the clock runs at {}x; {}/min messages and {}/min calls (simulated) in {account}, seed {}",
        config.speed, config.messages_per_minute, config.calls_per_minute, config.seed
    );
    println!("  message callbacks  {}", or_none(&config.message_callback));
    println!("  call callbacks     {}", or_none(&config.call_callback));
    println!("  event sink         {}", or_none(&config.event_sink));
    println!(
        "  faults             duplicate {} %, reorder {} %, delay up to {} ms, drop {} %",
        f.duplicate_pct, f.reorder_pct, f.max_delay_ms, f.drop_pct
    );
    println!("  counters and clock {base}/__sim/live\n");
}

async fn start_live(
    sim: &twilio_sim::Sim,
    config: Option<LiveConfig>,
    base: &str,
) -> anyhow::Result<Option<LiveHandle>> {
    let Some(config) = config else {
        return Ok(None);
    };
    let handle = sim.start_live(config.clone()).map_err(live_refusal)?;
    let account = config
        .account
        .clone()
        .unwrap_or_else(|| sim.dataset().main_account().sid.clone());
    print_live(&config, &account, base);
    Ok(Some(handle))
}

fn config(data: &DataArgs) -> anyhow::Result<SimConfig> {
    let now = match &data.now {
        Some(t) => t.parse::<jiff::Timestamp>().with_context(|| {
            format!("--now {t:?} is not an RFC 3339 instant such as 2026-03-15T12:00:00Z")
        })?,
        None => jiff::Timestamp::now(),
    };
    let d = Sizes::default();
    let sizes = Sizes {
        messages_per_day: data.messages_per_day.unwrap_or(d.messages_per_day),
        calls_per_day: data.calls_per_day.unwrap_or(d.calls_per_day),
        days: data.days.unwrap_or(d.days),
        subaccounts: data.subaccounts.unwrap_or(d.subaccounts),
        conferences_per_day: data.conferences_per_day.unwrap_or(d.conferences_per_day),
        verify_attempts_per_day: data
            .verify_attempts_per_day
            .unwrap_or(d.verify_attempts_per_day),
        ..d
    };
    if sizes.days > 3660 {
        bail!(
            "--days {} is more than ten years of history; use at most 3660",
            sizes.days
        );
    }
    if sizes.subaccounts > MAX_SUBACCOUNTS {
        bail!(
            "--subaccounts {} is too many; use at most {MAX_SUBACCOUNTS}",
            sizes.subaccounts
        );
    }
    check_incidents(&data.incidents, now, sizes.days)?;
    Ok(SimConfig {
        seed: data.seed,
        now,
        sizes,
        faults: Faults::default(),
        incidents: data.incidents.clone(),
    })
}

/// An incident that starts outside the generated days would change nothing: refused, so a
/// typo in a date is not a silently clean dataset.
fn check_incidents(incidents: &[Incident], now: jiff::Timestamp, days: u32) -> anyhow::Result<()> {
    const DAY_MS: i64 = 86_400_000;
    let now_ms = now.as_millisecond();
    let first_ms = (now_ms.div_euclid(DAY_MS) - i64::from(days)) * DAY_MS;
    for i in incidents {
        if i.start_ms < first_ms || i.start_ms >= now_ms {
            let first = jiff::Timestamp::from_millisecond(first_ms)
                .map(|t| t.strftime("%Y-%m-%d").to_string())
                .unwrap_or_default();
            bail!(
                "--incident {i}: starts outside the data, which runs from {first} to {now}; \
                 pick a day in that span (or change --now / --days)"
            );
        }
    }
    Ok(())
}

fn faults(run: &RunArgs) -> anyhow::Result<Faults> {
    let slow_body = match &run.slow_body {
        None => None,
        Some(s) => {
            let (chunk, interval) = s
                .split_once(':')
                .context("--slow-body takes CHUNK_BYTES:INTERVAL_MS, e.g. 512:50")?;
            Some(SlowBody {
                chunk_bytes: chunk
                    .trim()
                    .parse()
                    .context("--slow-body: CHUNK_BYTES is not a number")?,
                interval_ms: interval
                    .trim()
                    .parse()
                    .context("--slow-body: INTERVAL_MS is not a number")?,
            })
        }
    };
    let mut ranges = Vec::new();
    for r in &run.usage_daily_404 {
        let (start, end) = r.split_once("..").with_context(|| {
            format!("--usage-daily-404 {r:?}: use START..END, e.g. 2026-01-01..2026-01-31")
        })?;
        ranges.push(DayRange {
            start: start
                .parse()
                .with_context(|| format!("--usage-daily-404: {start:?} is not YYYY-MM-DD"))?,
            end: end
                .parse()
                .with_context(|| format!("--usage-daily-404: {end:?} is not YYYY-MM-DD"))?,
        });
    }
    let f = Faults {
        concurrency_limit: run.concurrency_limit,
        rate_429: run.rate_429,
        rate_500: run.rate_500,
        rate_503: run.rate_503,
        retry_after_secs: run.retry_after,
        latency_ms: run.latency_ms,
        jitter_ms: run.jitter_ms,
        malformed_rate: run.malformed_rate,
        truncated_rate: run.truncated_rate,
        slow_body,
        usage_daily_404: ranges,
        deny_subaccounts: run.deny_subaccounts.clone(),
    };
    f.validate()
        .map_err(|e| anyhow::anyhow!("fault flags: {e}"))?;
    Ok(f)
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Some(SimCommand::Dump(dump)) => run_dump(dump),
        None => run_server(args.run).await,
    }
}

fn run_dump(args: DumpArgs) -> anyhow::Result<()> {
    let config = config(&args.data)?;
    let data = twilio_sim::generate(&config);
    let states = AccountStates::starting(&data, &args.data.account_states)
        .map_err(|e| anyhow::anyhow!("--account-state: {e}"))?;
    let data = data.dump(&states);
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("could not create {}", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            serde_json::to_writer(&mut w, &data).context("could not write the dataset")?;
            w.flush()
                .with_context(|| format!("could not write {}", path.display()))?;
        }
        None => {
            let mut w = std::io::BufWriter::new(std::io::stdout().lock());
            serde_json::to_writer(&mut w, &data).context("could not write the dataset")?;
            writeln!(w).context("could not write the dataset")?;
            w.flush().context("could not write the dataset")?;
        }
    }
    Ok(())
}

async fn run_server(run: RunArgs) -> anyhow::Result<()> {
    let live = live_config(&run.live)?;
    let mut config = config(&run.data)?;
    config.faults = faults(&run)?;
    let now = config.now;
    let sim = twilio_sim::Sim::new(config);
    sim.set_start_states(&run.data.account_states)
        .map_err(|e| anyhow::anyhow!("--account-state: {e}"))?;
    sim.check_faults(&sim.faults())
        .map_err(|e| anyhow::anyhow!("fault flags: {e}"))?;
    let addr = std::net::SocketAddr::new(run.bind, run.port);
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("could not listen on {addr}; is the port in use? pick another with --port")
    })?;
    let base = format!(
        "http://{}",
        listener.local_addr().context("no local address")?
    );
    let clock = if live.is_some() {
        "clock starting"
    } else {
        "clock fixed"
    };
    println!("twilio-sim listening on {base} ({clock} at {now})");
    println!("Send requests to {base} with a Host header naming the Twilio product,");
    println!(
        "e.g. Host: api.twilio.com, messaging.twilio.com, monitor.twilio.com, verify.twilio.com, insights.twilio.com"
    );
    println!(
        "Admin: {base}/__sim/faults, {base}/__sim/requests, {base}/__sim/credentials, {base}/__sim/accounts, {base}/__sim/live\n"
    );
    print_accounts(&sim, &base);
    let live = start_live(&sim, live, &base).await?;
    let served = twilio_sim::serve(listener, sim, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    if let Some(live) = live {
        let stats = live.stop().await;
        println!("live mode stopped: {}", serde_json::to_string(&stats)?);
    }
    served.context("the simulator stopped with an error")
}

/// Every account's credentials, and a first request to try.
fn print_accounts(sim: &twilio_sim::Sim, base: &str) {
    let states = sim.accounts();
    for (i, a) in sim.dataset().accounts.iter().enumerate() {
        let kind = if a.is_subaccount {
            "subaccount"
        } else {
            "account"
        };
        let state = states.state(i);
        let marked = if state == twilio_sim::AccountState::Active {
            String::new()
        } else {
            format!(" [{state}]")
        };
        println!("{kind} {} ({}){marked}", a.sid, a.friendly_name);
        println!("  auth token     {}", a.auth_token);
        for k in &a.keys {
            println!("  {:?} key {} secret {}", k.key_type, k.sid, k.secret);
        }
    }
    let main = sim.dataset().main_account();
    if let Some(k) = main.main_key() {
        println!(
            "\ntry: curl -u {}:{} -H 'Host: api.twilio.com' '{base}/2010-04-01/Accounts/{}/Messages.json?PageSize=2'\n",
            k.sid, k.secret, main.sid
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn parse(argv: &[&str]) -> Args {
        Cli::try_parse_from(std::iter::once("sim").chain(argv.iter().copied()))
            .expect("arguments parse")
            .args
    }

    #[test]
    fn dump_writes_the_dataset_json_for_the_seed_and_clock() {
        let written = dump(&["--days", "3"], "dump").unwrap();
        let expected = serde_json::to_value(twilio_sim::generate(&SimConfig {
            seed: 4,
            now: "2026-03-15T12:00:00Z".parse().unwrap(),
            sizes: Sizes {
                days: 3,
                ..Sizes::default()
            },
            faults: Faults::default(),
            incidents: Vec::new(),
        }))
        .unwrap();
        assert_eq!(written, expected);
        assert_eq!(written["seed"], 4);
        assert!(written["accounts"][0]["keys"][0]["secret"].is_string());
    }

    #[test]
    fn fault_flags_become_faults() {
        let args = parse(&[
            "--concurrency-limit",
            "3",
            "--rate-429",
            "0.25",
            "--retry-after",
            "2",
            "--slow-body",
            "64:10",
            "--usage-daily-404",
            "2026-01-01..2026-01-31",
        ]);
        let f = faults(&args.run).unwrap();
        assert_eq!(f.concurrency_limit, Some(3));
        assert_eq!(f.rate_429, 0.25);
        assert_eq!(f.retry_after_secs, Some(2));
        assert_eq!(
            f.slow_body,
            Some(SlowBody {
                chunk_bytes: 64,
                interval_ms: 10
            })
        );
        assert_eq!(f.usage_daily_404.len(), 1);
    }

    #[test]
    fn bad_flags_say_what_is_wrong() {
        let err = faults(&parse(&["--rate-500", "3"]).run)
            .unwrap_err()
            .to_string();
        assert!(err.contains("rate_500"), "{err}");
        let err = faults(&parse(&["--slow-body", "fast"]).run)
            .unwrap_err()
            .to_string();
        assert!(err.contains("CHUNK_BYTES:INTERVAL_MS"), "{err}");
        let err = config(&parse(&["--now", "tomorrow"]).run.data)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--now"), "{err}");
    }

    /// Runs `sim dump` with the seed and clock every test uses, then `args`, and reads what it
    /// wrote.
    fn dump(args: &[&str], name: &str) -> anyhow::Result<serde_json::Value> {
        let dir = std::env::temp_dir().join(format!("sb-sim-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let out = dir.join("dump.json");
        let base = ["dump", "--seed", "4", "--now", "2026-03-15T12:00:00Z"];
        let out_s = out.to_string_lossy().to_string();
        let argv = [&base[..], args, &["--output", out_s.as_str()]].concat();
        let Some(SimCommand::Dump(dump)) = parse(&argv).command else {
            panic!("dump subcommand expected")
        };
        let written =
            run_dump(dump).and_then(|()| Ok(serde_json::from_slice(&std::fs::read(&out)?)?));
        std::fs::remove_dir_all(&dir)?;
        written
    }

    fn dump_with(extra: &[&str], name: &str) -> anyhow::Result<serde_json::Value> {
        let args = [&["--days", "2", "--subaccounts", "3"][..], extra].concat();
        dump(&args, name)
    }

    #[test]
    fn dump_shows_the_status_each_account_starts_in() {
        let written = dump_with(
            &["--account-state", "2:closed", "--account-state", "3:absent"],
            "states",
        )
        .unwrap();
        let accounts = written["accounts"].as_array().unwrap();
        let statuses: Vec<&str> = accounts
            .iter()
            .map(|a| a["account"]["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["active", "active", "closed", "active"]);
        let absent: Vec<bool> = accounts.iter().map(|a| a.get("absent").is_some()).collect();
        assert_eq!(absent, [false, false, false, true]);
        assert_eq!(accounts[3]["absent"], true);
    }

    #[test]
    fn account_state_past_the_last_subaccount_is_refused() {
        let err = dump_with(&["--account-state", "4:closed"], "past")
            .unwrap_err()
            .to_string();
        assert!(err.contains("--account-state"), "{err}");
        assert!(err.contains("subaccount 4 does not exist"), "{err}");
    }

    #[test]
    fn account_state_that_is_not_index_and_status_does_not_parse() {
        for bad in ["0:closed", "2", "2:gone"] {
            let parsed = Cli::try_parse_from(["sim", "--account-state", bad]);
            let err = parsed.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("--account-state"), "{bad}: {err}");
        }
    }

    #[test]
    fn live_flags_become_the_live_settings() {
        let args = parse(&[
            "--live",
            "--speed",
            "60",
            "--live-messages-per-minute",
            "12",
            "--event-sink",
            "http://127.0.0.1:9/events?x=1",
            "--duplicate-pct",
            "10",
            "--max-delay-ms",
            "250",
            "--live-seed",
            "4",
        ]);
        let live = live_config(&args.run.live).unwrap().unwrap();
        assert_eq!(live.speed, 60.0);
        assert_eq!(live.messages_per_minute, 12.0);
        assert_eq!(live.calls_per_minute, 10.0);
        assert_eq!(
            live.event_sink.as_deref(),
            Some("http://127.0.0.1:9/events?x=1")
        );
        assert_eq!(live.faults.duplicate_pct, 10);
        assert_eq!(live.faults.max_delay_ms, 250);
        assert_eq!(live.seed, 4);
        assert!(live_config(&parse(&[]).run.live).unwrap().is_none());
    }

    #[test]
    fn live_settings_out_of_range_are_refused_naming_the_flag() {
        let refused = |argv: &[&str]| {
            let args = parse(&[&["--live"][..], argv].concat());
            live_config(&args.run.live).unwrap_err().to_string()
        };
        let e = refused(&["--speed", "0"]);
        assert!(e.starts_with("--speed 0:"), "{e}");
        let e = refused(&["--live-calls-per-minute", "-2"]);
        assert!(e.starts_with("--live-calls-per-minute -2:"), "{e}");
        let e = refused(&["--message-callback", "ftp://x/y"]);
        assert!(e.starts_with("--message-callback \"ftp://x/y\""), "{e}");
        let e = refused(&["--reorder-pct", "150"]);
        assert!(e.starts_with("--reorder-pct 150:"), "{e}");
    }

    #[test]
    fn live_flags_without_live_are_refused() {
        let parsed = Cli::try_parse_from(["sim", "--duplicate-pct", "5"]);
        let err = parsed.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("--live"), "{err}");
    }

    #[test]
    fn deny_subaccount_flags_become_the_fault() {
        let sid = "AC0123456789abcdef0123456789abcdef";
        let f = faults(&parse(&["--deny-subaccount", sid]).run).unwrap();
        assert_eq!(f.deny_subaccounts, vec![sid.to_string()]);
        let err = faults(&parse(&["--deny-subaccount", "ACnope"]).run)
            .unwrap_err()
            .to_string();
        assert!(err.contains("deny_subaccounts"), "{err}");
    }
}
