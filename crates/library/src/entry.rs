//! One library file: a metric definition with its category and suggested visualization.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use metric::MetricDefinition;

use crate::error::LibraryError;

/// Where a metric is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Category {
    Messaging,
    Voice,
    #[serde(rename = "Spend and usage")]
    SpendAndUsage,
    Account,
    Reliability,
    Verify,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::Messaging,
        Category::Voice,
        Category::SpendAndUsage,
        Category::Account,
        Category::Reliability,
        Category::Verify,
    ];

    /// The name shown to users, as written in library files.
    pub fn label(self) -> &'static str {
        match self {
            Category::Messaging => "Messaging",
            Category::Voice => "Voice",
            Category::SpendAndUsage => "Spend and usage",
            Category::Account => "Account",
            Category::Reliability => "Reliability",
            Category::Verify => "Verify",
        }
    }

    /// Reads a category as a user types it: any case, with spaces, hyphens or underscores
    /// (`spend-and-usage`), or its first word (`spend`).
    pub fn parse(text: &str) -> Result<Category, LibraryError> {
        let norm = |s: &str| {
            s.trim()
                .to_ascii_lowercase()
                .replace(['-', '_'], " ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        let given = norm(text);
        Category::ALL
            .into_iter()
            .find(|c| {
                let label = norm(c.label());
                label == given || label.split(' ').next() == Some(given.as_str())
            })
            .ok_or_else(|| LibraryError::UnknownCategory {
                given: text.to_owned(),
            })
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// The chart a board should start with for the metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visualization {
    /// A line over time.
    Line,
    /// Bars over time.
    Bar,
    /// Bars over time, stacked by dimension.
    StackedBar,
    /// One big number (the latest value or the total).
    Number,
}

impl Visualization {
    pub fn label(self) -> &'static str {
        match self {
            Visualization::Line => "line",
            Visualization::Bar => "bar",
            Visualization::StackedBar => "stacked_bar",
            Visualization::Number => "number",
        }
    }
}

/// The file format: the definition and the two fields the definition has no place for.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    category: Category,
    visualization: Visualization,
    definition: Value,
}

/// One metric of the library.
#[derive(Debug, Clone, PartialEq)]
pub struct LibraryMetric {
    /// The file name without `.json` (`messages-sent`): the stable name to add it by.
    pub slug: String,
    pub category: Category,
    pub visualization: Visualization,
    /// The checked definition.
    pub definition: MetricDefinition,
    /// The definition as written in the file (what is stored, with the connection filled in).
    pub document: Value,
}

impl LibraryMetric {
    /// The display name (`description.name`).
    pub fn name(&self) -> &str {
        &self.definition.description.name
    }

    /// The one-line description (`description.summary`; every library file has one).
    pub fn summary(&self) -> &str {
        self.definition.description.summary.as_deref().unwrap_or("")
    }

    /// The endpoint the metric reads: `host path` (`api.twilio.com /2010-04-01/...`).
    pub fn source(&self) -> String {
        format!(
            "{} {}",
            self.definition.request.host, self.definition.request.path
        )
    }

    /// The definition's JSON text bound to the connection named `connection`.
    pub fn definition_for(&self, connection: &str) -> String {
        self.definition_scoped(connection, &metric::AccountScope::Connection)
    }

    /// [`Self::definition_for`] over the accounts `scope` names (left out for the connection's
    /// own, as in every definition written before subaccounts).
    pub fn definition_scoped(&self, connection: &str, scope: &metric::AccountScope) -> String {
        let mut doc = self.document.clone();
        if let Some(obj) = doc.as_object_mut() {
            obj.insert(
                "connection".to_owned(),
                Value::String(connection.to_owned()),
            );
            if let (false, Ok(accounts)) = (scope.is_connection(), serde_json::to_value(scope)) {
                obj.insert("accounts".to_owned(), accounts);
            }
        }
        doc.to_string()
    }
}

fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

/// Reads and checks one library file named `file_name` (`messages-sent.json`): the wrapper's
/// fields, the definition (as `MetricDefinition::from_value` checks it), and what the library
/// asks beyond the format: a lower-case hyphenated file name and a one-line summary.
pub fn parse_file(file_name: &str, text: &str) -> Result<LibraryMetric, LibraryError> {
    let invalid = |message: String| LibraryError::Invalid {
        file: file_name.to_owned(),
        message,
    };
    let slug = file_name
        .strip_suffix(".json")
        .ok_or_else(|| invalid("a library file name ends in .json".to_owned()))?;
    if !valid_slug(slug) {
        return Err(invalid(
            "the file name must be lower-case letters, digits and hyphens (it is the name `library add` takes)"
                .to_owned(),
        ));
    }
    let file: File = serde_json::from_str(text).map_err(|e| LibraryError::Format {
        file: file_name.to_owned(),
        message: e.to_string(),
    })?;
    let definition = MetricDefinition::from_value(file.definition.clone()).map_err(|source| {
        LibraryError::Definition {
            file: file_name.to_owned(),
            source,
        }
    })?;
    let summary = definition.description.summary.as_deref().unwrap_or("");
    if summary.trim().is_empty() {
        return Err(invalid(
            "`definition.description.summary` must say what the metric counts, why it matters and which source it reads"
                .to_owned(),
        ));
    }
    if summary.contains('\n') {
        return Err(invalid(
            "`definition.description.summary` must be one line".to_owned(),
        ));
    }
    Ok(LibraryMetric {
        slug: slug.to_owned(),
        category: file.category,
        visualization: file.visualization,
        definition,
        document: file.definition,
    })
}
