//! The library files compiled into the binary, parsed and checked once.

use std::sync::OnceLock;

use crate::entry::{Category, LibraryMetric, parse_file};
use crate::error::LibraryError;

static FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/library_files.rs"));

/// Every embedded library file as `(file name, text)`, sorted by file name.
pub fn files() -> &'static [(&'static str, &'static str)] {
    FILES
}

fn load() -> Result<Vec<LibraryMetric>, LibraryError> {
    let metrics = FILES
        .iter()
        .map(|(name, text)| parse_file(name, text))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, m) in metrics.iter().enumerate() {
        if let Some(other) = metrics[..i]
            .iter()
            .find(|o| o.name().eq_ignore_ascii_case(m.name()) || o.slug == m.slug)
        {
            return Err(LibraryError::Duplicate {
                name: m.name().to_owned(),
                first: format!("{}.json", other.slug),
                second: format!("{}.json", m.slug),
            });
        }
    }
    Ok(metrics)
}

/// The whole library, sorted by file name. An embedded file that does not read is an error of
/// the build, reported here rather than by a panic.
pub fn all() -> Result<&'static [LibraryMetric], LibraryError> {
    static LIBRARY: OnceLock<Result<Vec<LibraryMetric>, LibraryError>> = OnceLock::new();
    match LIBRARY.get_or_init(load) {
        Ok(metrics) => Ok(metrics),
        Err(err) => Err(err.clone()),
    }
}

/// The library's metrics, of one category or all, by category then name.
pub fn list(category: Option<Category>) -> Result<Vec<&'static LibraryMetric>, LibraryError> {
    let mut out: Vec<_> = all()?
        .iter()
        .filter(|m| category.is_none_or(|c| m.category == c))
        .collect();
    out.sort_by(|a, b| (a.category, a.name()).cmp(&(b.category, b.name())));
    Ok(out)
}

/// A library metric by its file name (`messages-sent`, with or without `.json`) or its display
/// name (`Messages sent`), ignoring case.
pub fn find(name: &str) -> Result<&'static LibraryMetric, LibraryError> {
    let wanted = name.trim();
    let slug = wanted.strip_suffix(".json").unwrap_or(wanted);
    all()?
        .iter()
        .find(|m| m.slug.eq_ignore_ascii_case(slug) || m.name().eq_ignore_ascii_case(wanted))
        .ok_or_else(|| LibraryError::UnknownMetric {
            name: name.to_owned(),
        })
}
