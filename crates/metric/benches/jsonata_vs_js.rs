//! Rows per second of the generated "messages by status per day" expression over 100 pages of
//! 1000 Twilio-shaped messages. Run by `bench/jsonata_vs_js.sh`, which runs jsonata-js on the
//! same pages (written by this binary with `--write DIR`) and prints the ratio.

#[path = "../tests/support/pages.rs"]
mod pages;

use std::time::{Duration, Instant};

use metric::jsonata::{Context, Expression, Limits};
use metric::picks::{DatePick, Picks, ValuePick};

const PAGES: usize = 100;
const PER_PAGE: usize = 1000;
const RUNS: usize = 5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let write_dir = args
        .iter()
        .position(|a| a == "--write")
        .and_then(|i| args.get(i + 1));

    let picks = Picks {
        records: Some("messages".into()),
        value: ValuePick::Count,
        dimension: Some("status".into()),
        date: DatePick::Field {
            path: "date_created".into(),
        },
        filters: Vec::new(),
    };
    let text = picks.to_expression()?;
    let pages = pages::message_pages(42, PAGES, PER_PAGE);
    if let Some(dir) = write_dir {
        std::fs::create_dir_all(dir)?;
        std::fs::write(format!("{dir}/pages.json"), serde_json::to_string(&pages)?)?;
        std::fs::write(format!("{dir}/expression.jsonata"), &text)?;
    }

    let expression = Expression::compile(&text, Limits::default())?;
    let context = Context::default();
    let sync = jiff::Timestamp::from_second(1_793_491_200)?;

    // Evaluation only: what jsonata-js does on its side.
    let mut rows = 0;
    let eval = best_of(|| {
        rows = 0;
        for page in &pages {
            let out = expression
                .evaluate_in(Some(page), &context)
                .expect("evaluates");
            rows += out.as_ref().and_then(|v| v.as_array()).map_or(0, Vec::len);
        }
    });
    assert_eq!(rows, PAGES * PER_PAGE, "every message gives a row");

    // The whole sync path: evaluation, then reading values and RFC 2822 dates into rows.
    let mut extracted = 0;
    let full = best_of(|| {
        let out = metric::extract(&expression, &pages, sync).expect("extracts");
        extracted = out.rows.len();
    });
    assert_eq!(extracted, PAGES * PER_PAGE);

    // Pages read from their text into the engine's representation, cut to what the expression
    // reads: the page-parsing cost is left out, as jsonata-js's JSON.parse is.
    let texts: Vec<String> = pages
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()?;
    let parsed: Vec<_> = texts
        .iter()
        .map(|t| expression.parse_page(t))
        .collect::<Result<_, _>>()?;
    let mut page_rows = 0;
    let eval_page = best_of(|| {
        page_rows = 0;
        for page in &parsed {
            let out = expression.evaluate_page(page, &context).expect("evaluates");
            page_rows += out.as_ref().and_then(|v| v.as_array()).map_or(0, Vec::len);
        }
    });
    assert_eq!(page_rows, PAGES * PER_PAGE);

    // From the page text to rows: parse, evaluate, read values and dates.
    let mut from_text = 0;
    let text_full = best_of(|| {
        let out = metric::extract_text(&expression, &texts, sync).expect("extracts");
        from_text = out.rows.len();
    });
    assert_eq!(from_text, PAGES * PER_PAGE);

    let per_sec = |d: Duration| (PAGES * PER_PAGE) as f64 / d.as_secs_f64();
    println!("rust_eval_value_rows_per_sec {:.0}", per_sec(eval));
    println!("rust_extract_value_rows_per_sec {:.0}", per_sec(full));
    println!("rust_eval_page_rows_per_sec {:.0}", per_sec(eval_page));
    println!("rust_text_to_rows_per_sec {:.0}", per_sec(text_full));
    Ok(())
}

/// The fastest of a few runs after one warm-up, in CPU time of this (single) thread: the
/// machine is shared, and CPU time does not count the time other work held the core. The
/// wall-clock time of the fastest run goes to stderr for comparison.
fn best_of(mut f: impl FnMut()) -> Duration {
    f();
    let (cpu, wall) = (0..RUNS)
        .map(|_| {
            let (c, t) = (cpu_time(), Instant::now());
            f();
            (cpu_time().saturating_sub(c), t.elapsed())
        })
        .min()
        .unwrap_or_default();
    eprintln!("  cpu {cpu:?}, wall {wall:?}");
    cpu
}

/// CPU time of this thread so far, from the scheduler's statistics (Linux).
fn cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .expect("read /proc/thread-self/schedstat")
}
