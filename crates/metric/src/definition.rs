//! The metric definition: one versioned JSON document per metric, also the export and import
//! format. See `docs/metric-definition.md`.

use serde::{Deserialize, Serialize};
use twilio_request::RequestSpec;

use crate::accounts::AccountScope;
use crate::aggregate::{Aggregation, Interval};
use crate::compare::Trend;
use crate::jsonata::{Expression, JsonataError, Limits};
use crate::picks::{Picks, PicksError};

/// The only version this build reads and writes.
pub const DEFINITION_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricDefinition {
    pub version: u32,
    /// The name of the Twilio connection the request goes through.
    pub connection: String,
    pub request: RequestSpec,
    /// Which accounts the request is made for: the connection's own (the default, left out of
    /// the JSON), every active account it lists, or chosen ones. See [`crate::accounts`].
    #[serde(default, skip_serializing_if = "AccountScope::is_connection")]
    pub accounts: AccountScope,
    pub extraction: Extraction,
    pub description: Description,
}

/// How rows come out of each page: the builder's picks, the expression, or both (the
/// expression, possibly edited by hand, is what runs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extraction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picks: Option<Picks>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Description {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub aggregation: Aggregation,
    /// Whether up or down is good news.
    pub favourable: Trend,
    pub format: NumberFormat,
    /// The interval the metric reads best at, suggested to boards.
    pub interval: Interval,
}

/// How values are shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberFormat {
    pub unit: Unit,
    /// ISO 4217 code, required for `currency` and only there (`USD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Digits after the decimal point; the unit's usual number when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    Currency,
    Seconds,
    Percent,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DefinitionError {
    #[error("metric definition is not valid JSON: {message}")]
    Json { message: String },
    #[error("metric definition, field `{field}`: {message}")]
    Field { field: String, message: String },
    #[error("metric definition, field `request`: {0}")]
    Request(#[from] twilio_request::RequestError),
    #[error("metric definition, field `extraction.picks`: {0}")]
    Picks(#[from] PicksError),
    #[error("metric definition, field `extraction.expression`: {0}")]
    Expression(JsonataError),
}

impl MetricDefinition {
    /// Reads and checks a definition. Every error names the field (`description.aggregation`,
    /// `request.host`...).
    pub fn from_json(text: &str) -> Result<Self, DefinitionError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| DefinitionError::Json {
                message: e.to_string(),
            })?;
        Self::from_value(value)
    }

    pub fn from_value(value: serde_json::Value) -> Result<Self, DefinitionError> {
        let def: MetricDefinition = serde_path_to_error::deserialize(value).map_err(|e| {
            let field = e.path().to_string();
            DefinitionError::Field {
                field: if field == "." {
                    "(top level)".to_owned()
                } else {
                    field
                },
                message: e.into_inner().to_string(),
            }
        })?;
        def.check()?;
        Ok(def)
    }

    pub fn to_json_pretty(&self) -> String {
        // A derived Serialize of plain data into a string cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    fn check(&self) -> Result<(), DefinitionError> {
        let field = |field: &str, message: String| DefinitionError::Field {
            field: field.to_owned(),
            message,
        };
        if self.version != DEFINITION_VERSION {
            return Err(field(
                "version",
                format!(
                    "version {} is not supported; this build reads version {DEFINITION_VERSION}",
                    self.version
                ),
            ));
        }
        if self.connection.trim().is_empty() {
            return Err(field("connection", "name a connection".to_owned()));
        }
        self.request.validate()?;
        self.accounts
            .check()
            .map_err(|message| field("accounts", message))?;
        if self.description.name.trim().is_empty() {
            return Err(field(
                "description.name",
                "give the metric a name".to_owned(),
            ));
        }
        let f = &self.description.format;
        match (f.unit, &f.currency) {
            (Unit::Currency, None) => {
                return Err(field(
                    "description.format.currency",
                    "a currency unit needs its ISO 4217 code, e.g. \"USD\"".to_owned(),
                ));
            }
            (Unit::Currency, Some(code))
                if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) =>
            {
                return Err(field(
                    "description.format.currency",
                    format!("{code:?} is not an ISO 4217 code (three capital letters)"),
                ));
            }
            (Unit::Currency, Some(_)) => {}
            (_, Some(_)) => {
                return Err(field(
                    "description.format.currency",
                    "a currency code goes only with the unit \"currency\"".to_owned(),
                ));
            }
            (_, None) => {}
        }
        if f.decimals.is_some_and(|d| d > 12) {
            return Err(field(
                "description.format.decimals",
                "at most 12 decimals".to_owned(),
            ));
        }
        Expression::compile(&self.expression_text()?, Limits::default())
            .map_err(DefinitionError::Expression)?;
        Ok(())
    }

    /// The expression that runs: the one written, else the one the picks generate.
    pub fn expression_text(&self) -> Result<String, DefinitionError> {
        match (&self.extraction.expression, &self.extraction.picks) {
            (Some(e), _) if !e.trim().is_empty() => Ok(e.clone()),
            (_, Some(p)) => Ok(p.to_expression()?),
            _ => Err(DefinitionError::Field {
                field: "extraction".to_owned(),
                message: "give the builder's \"picks\" or an \"expression\"".to_owned(),
            }),
        }
    }

    /// The compiled expression, under `limits`.
    pub fn compile(&self, limits: Limits) -> Result<Expression, DefinitionError> {
        Expression::compile(&self.expression_text()?, limits).map_err(DefinitionError::Expression)
    }
}
