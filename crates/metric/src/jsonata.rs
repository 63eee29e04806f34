//! Our only door to the JSONata engine.
//!
//! Everything else in Switchboard talks to [`Expression`], [`Limits`] and [`JsonataError`], so
//! that the engine behind them (`jlens-core` today, `jsonata-core` possibly tomorrow) can change
//! in this file alone.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

/// Guardrails applied to every evaluation. Hitting one ends the evaluation with an error whose
/// code says which one (see [`JsonataError::is_limit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock budget of one evaluation (`D1012`).
    pub timeout: Duration,
    /// Evaluation steps (nodes evaluated, functions called) of one evaluation (`U1006`).
    pub max_steps: u64,
    /// Nesting depth of the evaluation, e.g. recursion (`D1011`).
    pub max_depth: usize,
    /// Size of the result as compact JSON text, in bytes (`U1001`).
    pub max_output_bytes: usize,
    /// Bytes the evaluation may hold at once, the result included (`U1001`); 0 for no limit.
    /// Enforced where the binary installs [`crate::memory::BudgetAllocator`].
    pub max_memory_bytes: usize,
}

impl Default for Limits {
    /// Sized for a metric on one Twilio page (at most 1000 records, a few kB each): a generated
    /// expression takes well under 1 % of each budget.
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(2),
            max_steps: 20_000_000,
            max_depth: 1_000,
            max_output_bytes: 64 << 20,
            // Ten times the output limit leaves room for intermediate values of a generated
            // expression on a large page, while four evaluations at once stay well inside a
            // small server's memory.
            max_memory_bytes: 128 << 20,
        }
    }
}

/// A JSONata compile or evaluation error: the JSONata code (`S0201`, `T2001`, `D1012`...), the
/// message, and the byte span of the offending text when the engine knows it, so an editor can
/// underline it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}{}", span_suffix(*.span))]
pub struct JsonataError {
    pub code: String,
    pub message: String,
    /// Byte offsets `(start, end)` into the expression text.
    pub span: Option<(usize, usize)>,
}

fn span_suffix(span: Option<(usize, usize)>) -> String {
    match span {
        Some((start, end)) => format!(" (at {start}..{end})"),
        None => String::new(),
    }
}

impl JsonataError {
    /// The span in UTF-16 code units of `source` (the expression it came from), which is how a
    /// browser editor indexes text.
    pub fn utf16_span(&self, source: &str) -> Option<(usize, usize)> {
        let (start, end) = self.span?;
        let units = |byte: usize| {
            source
                .char_indices()
                .take_while(|(i, _)| *i < byte)
                .map(|(_, c)| c.len_utf16())
                .sum::<usize>()
        };
        Some((units(start), units(end)))
    }

    /// Whether the error comes from one of the [`Limits`] rather than from the expression's
    /// logic.
    pub fn is_limit(&self) -> bool {
        matches!(self.code.as_str(), "D1012" | "U1006" | "D1011" | "U1001")
    }

    fn from_engine(err: &jlens_core::Error) -> Self {
        JsonataError {
            code: err.code().to_owned(),
            message: err.message(),
            span: err.span().map(|s| (s.start, s.end)),
        }
    }
}

/// A compiled JSONata expression with its limits. Compile once, evaluate on many pages; it is
/// `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Expression {
    inner: jlens_core::Expression,
    limits: Limits,
}

/// What an evaluation may see besides its input: variables (`$name`) and the instant `$now()`
/// returns. Leaving `now_ms` empty lets the engine read the clock on `$now()`; metric
/// evaluation always fixes it to the sync time.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub variables: Map<String, Value>,
    pub now_ms: Option<i64>,
}

impl Expression {
    /// Parses an expression. A syntax error carries its code and span.
    pub fn compile(source: &str, limits: Limits) -> Result<Self, JsonataError> {
        let inner =
            jlens_core::Expression::compile(source).map_err(|e| JsonataError::from_engine(&e))?;
        Ok(Expression { inner, limits })
    }

    pub fn source(&self) -> &str {
        self.inner.source()
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Evaluates on `input`. `Ok(None)` is JSONata's *undefined* (nothing matched).
    pub fn evaluate(&self, input: &Value) -> Result<Option<Value>, JsonataError> {
        self.evaluate_in(Some(input), &Context::default())
    }

    /// What the expression may read of its input and bindings (the engine's analysis).
    pub(crate) fn reads(&self) -> jlens_core::reads::Reads {
        self.inner.reads()
    }

    /// Reads a page of JSON text for this expression: parsed straight into the engine's own
    /// representation, skipping the fields the expression never reads. Much cheaper than
    /// parsing into a `serde_json::Value` and converting it at each evaluation.
    pub fn parse_page(&self, text: &str) -> Result<Page, serde_json::Error> {
        Page::parse_cut(text, self.inner.reads().input())
    }

    /// Evaluates on a page read by [`Expression::parse_page`].
    pub fn evaluate_page(
        &self,
        page: &Page,
        context: &Context,
    ) -> Result<Option<Value>, JsonataError> {
        self.budgeted(context, |options| {
            self.inner
                .evaluate_document(&page.0, &bindings(context), options)
        })
    }

    /// Evaluates with variables and a fixed `$now()`; `input: None` is an undefined input.
    pub fn evaluate_in(
        &self,
        input: Option<&Value>,
        context: &Context,
    ) -> Result<Option<Value>, JsonataError> {
        self.budgeted(context, |options| {
            self.inner.evaluate_with(input, &bindings(context), options)
        })
    }

    /// Runs one evaluation under the memory budget; passing it is a `U1001` that names the
    /// budget, whatever the engine reported when it stopped.
    fn budgeted(
        &self,
        context: &Context,
        run: impl FnOnce(&jlens_core::Options) -> Result<Option<Value>, jlens_core::Error>,
    ) -> Result<Option<Value>, JsonataError> {
        let budget = self.limits.max_memory_bytes;
        let (result, over) = crate::memory::with_budget(budget, |token| {
            let mut options = self.options(context);
            if let Some(token) = token {
                options = options.cancel_token(token.clone());
            }
            run(&options)
        });
        if over {
            return Err(JsonataError {
                code: "U1001".to_owned(),
                message: format!(
                    "the expression built more than {} MiB of values and was stopped (memory limit); \
                     filter or aggregate earlier so it holds less at once",
                    budget >> 20
                ),
                span: None,
            });
        }
        result.map_err(|e| JsonataError::from_engine(&e))
    }

    fn options(&self, context: &Context) -> jlens_core::Options {
        let mut options = jlens_core::Options::new()
            .timeout(self.limits.timeout)
            .max_steps(self.limits.max_steps)
            .max_depth(self.limits.max_depth)
            .max_result_size(self.limits.max_output_bytes)
            // A fixed seed keeps `$random()` reproducible, like everything else here.
            .seed(0);
        if let Some(now) = context.now_ms {
            options = options.now(now);
        }
        options
    }
}

fn bindings(context: &Context) -> jlens_core::Bindings {
    context
        .variables
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A page of input in the engine's own representation, holding only what one expression
/// reads ([`Expression::parse_page`]), or what several do ([`crate::FieldSet::parse_page`]).
/// Not `Send`: read it on the thread that evaluates it.
#[derive(Debug)]
pub struct Page(jlens_core::Document);

impl Page {
    /// Parses `text` keeping only `read` (`None`: nothing of it, but the text is still checked
    /// as JSON).
    pub(crate) fn parse_cut(
        text: &str,
        read: Option<&jlens_core::reads::Read>,
    ) -> Result<Page, serde_json::Error> {
        let document = match read {
            Some(read) => jlens_core::Document::parse_cut(text, read)?,
            None => {
                serde_json::from_str::<serde::de::IgnoredAny>(text)?;
                jlens_core::Document::new(&Value::Null)
            }
        };
        Ok(Page(document))
    }

    /// The page as JSON: what it kept of the text. Numbers come back as the engine holds them
    /// (64-bit floats, integral ones written as integers), so the JSON evaluates exactly as the
    /// page does.
    pub fn to_json(&self) -> Value {
        self.0.to_json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_expressions_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Expression>();
    }
}
