//! `switchboard data METRIC`: a metric's stored values over a range, by interval and by
//! dimension, aggregated exactly from its hourly buckets.

use anyhow::Context;
use metric::{Aggregation, HourBucket, Interval, MetricDefinition, Query, TimeRange};
use store::{BucketQuery, Store};

use super::common::{StoreArgs, find_metric, parse_instant};

#[derive(clap::Args)]
pub struct Args {
    /// The metric's name or id.
    metric: String,
    /// Start of the range: YYYY-MM-DD (midnight UTC) or RFC 3339. Default: 30 days before the end.
    #[arg(long)]
    from: Option<String>,
    /// End of the range (exclusive). Default: now.
    #[arg(long)]
    to: Option<String>,
    /// hour, day, week, month, quarter or year.
    #[arg(long, default_value = "day")]
    interval: String,
    /// Only this dimension value.
    #[arg(long)]
    dimension: Option<String>,
    /// The display time zone (IANA), which moves interval boundaries.
    #[arg(long, default_value = "UTC")]
    tz: String,
    /// How many dimensions to name before grouping the rest as "other".
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// table, csv or json.
    #[arg(long, default_value = "table")]
    format: String,
    #[command(flatten)]
    store: StoreArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = args.store.open().await?;
    let stored = find_metric(&store, &args.metric).await?;
    let definition = MetricDefinition::from_json(&stored.definition)
        .with_context(|| format!("the stored definition of '{}' does not read", stored.name))?;
    let now = jiff::Timestamp::now();
    let end = match &args.to {
        Some(t) => parse_instant(t)?,
        None => now,
    };
    let start = match &args.from {
        Some(f) => parse_instant(f)?,
        None => end - jiff::SignedDuration::from_hours(24 * 30),
    };
    let zone = jiff::tz::TimeZone::get(&args.tz).with_context(|| {
        format!(
            "'{}' is not an IANA time zone (e.g. Europe/Ljubljana)",
            args.tz
        )
    })?;
    let interval = parse_interval(&args.interval)?;
    let rows = store
        .buckets(&BucketQuery {
            metric: stored.id,
            dimension: args.dimension.clone(),
            from_ms: start.as_millisecond(),
            to_ms: end.as_millisecond(),
        })
        .await?;
    store.close().await;
    let buckets: Vec<HourBucket> = rows.iter().map(metric_sync::to_hour_bucket).collect();
    let aggregation = definition.description.aggregation;
    let result = metric::query(
        &buckets,
        &Query {
            range: TimeRange::new(start, end)?,
            interval,
            aggregation,
            zone,
            top: args.top,
        },
    )?;
    print(&args, &stored.name, aggregation, &result)
}

/// The result in the format asked for.
fn print(
    args: &Args,
    name: &str,
    aggregation: Aggregation,
    result: &metric::QueryResult,
) -> anyhow::Result<()> {
    match args.format.as_str() {
        "json" => println!("{}", serde_json::to_string_pretty(result)?),
        "csv" => {
            println!("start,value");
            for p in &result.series {
                println!(
                    "{},{}",
                    p.start,
                    p.value.map(|v| v.to_string()).unwrap_or_default()
                );
            }
        }
        "table" => {
            println!(
                "{} ({}), {} by {}",
                name,
                name_of(aggregation),
                args.tz,
                args.interval
            );
            for p in &result.series {
                println!("  {:<28} {}", p.start.to_string(), show(p.value));
            }
            println!("  {:<28} {}", "total", show(result.total));
            if !result.breakdown.is_empty() {
                println!("by dimension:");
                for s in &result.breakdown {
                    println!(
                        "  {:<28} {}",
                        s.dimension.as_deref().unwrap_or("(none)"),
                        show(s.value)
                    );
                }
                if let Some(other) = result.other {
                    println!("  {:<28} {}", "other", show(other));
                }
            }
        }
        other => anyhow::bail!("unknown format '{other}': use table, csv or json"),
    }
    Ok(())
}

fn parse_interval(text: &str) -> anyhow::Result<Interval> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_lowercase())).map_err(|_| {
        anyhow::anyhow!("unknown interval '{text}': use hour, day, week, month, quarter or year")
    })
}

fn name_of(a: Aggregation) -> String {
    serde_json::to_value(a)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn show(v: Option<f64>) -> String {
    v.map(|v| format!("{v}")).unwrap_or_else(|| "-".to_owned())
}
