//! `switchboard jsonata EXPR [--input FILE]`: evaluate a JSONata expression under the same
//! limits a metric runs with.

use std::path::PathBuf;

use anyhow::Context as _;
use metric::jsonata::{Expression, JsonataError, Limits};

#[derive(clap::Args)]
pub struct Args {
    /// The JSONata expression.
    expression: String,
    /// A JSON file to evaluate against; without it the input is undefined.
    #[arg(long)]
    input: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let input = match &args.input {
        Some(path) => Some(read_json(path)?),
        None => None,
    };
    let outcome = Expression::compile(&args.expression, Limits::default())
        .and_then(|e| e.evaluate_in(input.as_ref(), &metric::jsonata::Context::default()));
    match outcome {
        Ok(Some(value)) => emit(&format!("{}\n", serde_json::to_string_pretty(&value)?)),
        Ok(None) => {
            eprintln!("(undefined: the expression matched nothing)");
            Ok(())
        }
        Err(err) => {
            eprintln!("{}", underline(&args.expression, &err));
            anyhow::bail!("{err}")
        }
    }
}

/// Writes to stdout; a reader that went away (`| head`) is not an error worth a panic.
pub(crate) fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

pub(crate) fn read_json(path: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// The expression with a caret line under the span of the error, when the engine knows it.
pub(crate) fn underline(source: &str, err: &JsonataError) -> String {
    let Some((start, end)) = err.span else {
        return source.to_owned();
    };
    let line_start = source[..start.min(source.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line_end = source[line_start..]
        .find('\n')
        .map_or(source.len(), |i| line_start + i);
    let line = &source[line_start..line_end];
    let pad = source
        .get(line_start..start)
        .map_or(0, |s| s.chars().count());
    let width = source
        .get(start..end.min(line_end).max(start))
        .map_or(1, |s| s.chars().count().max(1));
    format!("{line}\n{}{}", " ".repeat(pad), "^".repeat(width))
}
