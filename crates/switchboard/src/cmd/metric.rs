//! `switchboard metric check|preview|infer`: read a metric definition file and check it, or run
//! it on saved responses.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use metric::MetricDefinition;
use metric::jsonata::Limits;

use std::fmt::Write as _;

use super::jsonata::{emit, read_json, underline};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Check a metric definition file and print the expression it runs.
    Check {
        /// The definition (JSON).
        file: PathBuf,
    },
    /// Run a definition's expression on saved responses and show the first rows.
    Preview {
        /// The definition (JSON).
        file: PathBuf,
        /// A saved response (one page); repeat for several pages.
        #[arg(long = "input", required = true)]
        inputs: Vec<PathBuf>,
        /// How many rows to show.
        #[arg(long, default_value_t = 20)]
        rows: usize,
        /// The sync time (RFC 3339) for rows dated by the sync; now by default.
        #[arg(long)]
        sync_time: Option<jiff::Timestamp>,
    },
    #[command(flatten)]
    Stored(super::metric_store::StoredCommand),
    /// List the record arrays, numeric, dimension and date fields of a saved response.
    Infer {
        /// A saved response.
        response: PathBuf,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Stored(command) => super::metric_store::run(command).await,
        Command::Check { file } => {
            let def = load(&file)?;
            emit(&format!(
                "{}: the metric \"{}\" is valid.\nexpression:\n{}\n",
                file.display(),
                def.description.name,
                def.expression_text()?
            ))
        }
        Command::Preview {
            file,
            inputs,
            rows,
            sync_time,
        } => preview(&file, &inputs, rows, sync_time),
        Command::Infer { response } => {
            let sample = read_json(&response)?;
            let inference = metric::infer(&sample);
            emit(&format!("{}\n", serde_json::to_string_pretty(&inference)?))
        }
    }
}

/// Runs the definition's expression on saved pages and shows the first `rows` rows.
fn preview(
    file: &Path,
    inputs: &[PathBuf],
    rows: usize,
    sync_time: Option<jiff::Timestamp>,
) -> anyhow::Result<()> {
    let def = load(file)?;
    let pages = inputs
        .iter()
        .map(|p| read_json(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let expression = def.compile(Limits::default())?;
    let sync_time = sync_time.unwrap_or_else(jiff::Timestamp::now);
    let preview = match metric::preview(&expression, &pages, sync_time, rows) {
        Ok(p) => p,
        Err(err) => {
            if let Some(jsonata) = err.jsonata() {
                eprintln!("{}", underline(expression.source(), jsonata));
            }
            return Err(err.into());
        }
    };
    let mut out = String::new();
    writeln!(out, "expression:\n{}\n", preview.expression)?;
    writeln!(out, "{:<26} {:>14}  dimension", "date (UTC)", "value")?;
    for r in &preview.rows {
        writeln!(
            out,
            "{:<26} {:>14}  {}",
            r.date.to_string(),
            r.value,
            r.dimension.as_deref().unwrap_or("-")
        )?;
    }
    writeln!(
        out,
        "\n{} rows ({} shown), {} skipped (no value), {} bad",
        preview.total_rows,
        preview.rows.len(),
        preview.skipped,
        preview.bad
    )?;
    for example in &preview.skipped_examples {
        writeln!(out, "  skipped: {example}")?;
    }
    for example in &preview.bad_examples {
        writeln!(out, "  bad: {example}")?;
    }
    emit(&out)
}

fn load(path: &std::path::Path) -> anyhow::Result<MetricDefinition> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read {}", path.display()))?;
    MetricDefinition::from_json(&text)
        .with_context(|| format!("{} is not a valid metric definition", path.display()))
}
