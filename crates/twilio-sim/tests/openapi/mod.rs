//! A small OpenAPI 3.0 response-schema validator for the official Twilio specs in
//! `../shared/twilio/oai/json/`, plus the table of simulated endpoints the tests walk
//! ([`endpoints`]) and the list-envelope checks against the spec examples ([`envelope`]).
//!
//! It checks what the Twilio specs use: `$ref` into `components.schemas` (siblings of a `$ref`,
//! as the insights spec writes `nullable` next to it, are honoured), `type`, `nullable`, `enum`,
//! `properties` (every listed key must be present: Twilio always returns every key, with null
//! where empty), `items`, `required`, `additionalProperties`, the `format`s in [`formats`], and
//! `minLength`/`maxLength`/`pattern`.
// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports)]

pub mod endpoints;
pub mod envelope;
pub mod exceptions;
pub mod formats;
pub mod regex;

pub use endpoints::Endpoint;
pub use exceptions::{Exception, KNOWN_EXCEPTIONS, Relaxation};

use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// The shared `twilio` folder (specs under `oai/json/`, examples under `examples/`), as
/// `test_support` finds it.
fn twilio_dir() -> std::path::PathBuf {
    test_support::shared_dir().join("twilio")
}

/// Proof that the official specs and examples are here. Every test that reads them starts with
/// `let Some(_) = openapi::fixtures() else { return };` so a clone without `../shared` skips
/// that test loudly (failing under `SWITCHBOARD_REQUIRE_ALL=1`) instead of panicking in
/// [`spec`] or [`example`].
pub fn fixtures() -> Option<Fixtures> {
    test_support::shared_fixture("twilio/oai/json")?;
    test_support::shared_fixture("twilio/examples/index.json")?;
    Some(Fixtures)
}

#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Fixtures;

/// Reads a fixture file, or panics naming it: only reached after [`fixtures`] said they are
/// here, so a missing file is a broken fixture folder, not a fresh clone.
fn read_fixture(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "read {}: {e} (a test reading the Twilio fixtures must start with openapi::fixtures())",
            path.display()
        )
    })
}

/// One official spec file, parsed once per test binary.
pub struct Spec {
    pub name: String,
    doc: Value,
}

/// Loads `oai/json/{name}.json` once and keeps it for the life of the test binary.
pub fn spec(name: &str) -> &'static Spec {
    static CACHE: OnceLock<Mutex<HashMap<String, &'static Spec>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(spec) = cache.get(name) {
        return spec;
    }
    let path = twilio_dir().join(format!("oai/json/{name}.json"));
    let doc: Value = serde_json::from_str(&read_fixture(&path))
        .unwrap_or_else(|e| panic!("parse {}: {e}", path.display()));
    let spec: &'static Spec = Box::leak(Box::new(Spec {
        name: name.to_string(),
        doc,
    }));
    cache.insert(name.to_string(), spec);
    spec
}

/// Reads a file under `../shared/twilio/examples/` as JSON.
pub fn example(file: &str) -> Value {
    let path = twilio_dir().join("examples").join(file);
    serde_json::from_str(&read_fixture(&path))
        .unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// One row of `examples/index.json`.
#[derive(Debug, Clone)]
pub struct ExampleEntry {
    pub spec: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub example: String,
    pub file: String,
}

/// `examples/index.json`, parsed once.
pub fn example_index() -> &'static [ExampleEntry] {
    static INDEX: OnceLock<Vec<ExampleEntry>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let Value::Array(rows) = example("index.json") else {
            panic!("examples/index.json is not an array");
        };
        let text = |row: &Value, key: &str| {
            row.get(key)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("index.json row without {key}: {row}"))
                .to_string()
        };
        rows.iter()
            .map(|row| ExampleEntry {
                spec: text(row, "spec"),
                method: text(row, "method"),
                path: text(row, "path"),
                status: row
                    .get("status")
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or_else(|| panic!("index.json row without status: {row}")),
                example: text(row, "example"),
                file: text(row, "file"),
            })
            .collect()
    })
}

/// One failed check: where, what the schema wanted, and what the body had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the validated value (`""` is the root).
    pub pointer: String,
    pub expected: String,
    pub actual: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at {:?}: expected {}, got {}",
            self.pointer, self.expected, self.actual
        )
    }
}

/// Renders violations one per line, for assertion messages.
pub fn report(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("  {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Spec {
    /// A spec with no paths or components, for validating a schema written inline (no
    /// fixture read).
    pub fn empty(name: &str) -> Spec {
        Spec {
            name: name.to_string(),
            doc: Value::Object(Default::default()),
        }
    }

    /// The schema of `content."application/json".schema` for this operation's response.
    pub fn response_schema(&self, path: &str, method: &str, status: u16) -> Result<&Value, String> {
        let operation = self
            .doc
            .get("paths")
            .and_then(|p| p.get(path))
            .ok_or_else(|| format!("{}: no path {path}", self.name))?
            .get(method.to_ascii_lowercase())
            .ok_or_else(|| format!("{}: no {method} on {path}", self.name))?;
        operation
            .get("responses")
            .and_then(|r| r.get(status.to_string()))
            .ok_or_else(|| format!("{}: {method} {path} declares no {status}", self.name))?
            .pointer("/content/application~1json/schema")
            .ok_or_else(|| format!("{}: {method} {path} {status} has no JSON schema", self.name))
    }

    /// A component schema by name (`components.schemas.NAME`).
    pub fn component(&self, name: &str) -> Result<&Value, String> {
        self.doc
            .get("components")
            .and_then(|c| c.get("schemas"))
            .and_then(|s| s.get(name))
            .ok_or_else(|| format!("{}: no component schema {name}", self.name))
    }

    fn resolve(&self, reference: &str) -> Result<&Value, String> {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .ok_or_else(|| format!("unsupported $ref {reference}"))?;
        self.component(name)
    }

    /// Validates `value` against the response schema of an operation.
    pub fn validate_response(
        &self,
        path: &str,
        method: &str,
        status: u16,
        value: &Value,
    ) -> Result<Vec<Violation>, String> {
        let schema = self.response_schema(path, method, status)?;
        Ok(self.validate(schema, value, Options::default()))
    }

    /// Validates `value` against `schema`, returning every violation found.
    pub fn validate(&self, schema: &Value, value: &Value, options: Options) -> Vec<Violation> {
        let mut walker = Walker {
            spec: self,
            options,
            pointer: String::new(),
            out: Vec::new(),
            hits: Vec::new(),
        };
        walker.check(schema, value, Ctx::default(), 0);
        walker.out
    }

    /// Like [`Spec::validate`], also returning which known exceptions relaxed a check.
    pub fn validate_traced(
        &self,
        schema: &Value,
        value: &Value,
        options: Options,
    ) -> (Vec<Violation>, Vec<&'static Exception>) {
        let mut walker = Walker {
            spec: self,
            options,
            pointer: String::new(),
            out: Vec::new(),
            hits: Vec::new(),
        };
        walker.check(schema, value, Ctx::default(), 0);
        (walker.out, walker.hits)
    }
}

/// What the validator checks beyond the plain spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub strictness: Strictness,
    /// Apply [`KNOWN_EXCEPTIONS`]: places where the official examples (and Twilio) differ from
    /// the schema, so the examples, not the schema, are the truth.
    pub known_exceptions: bool,
    /// Require the `+0000` offset on `date-time-rfc-2822` values, as Twilio sends them.
    pub rfc2822_gmt: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            strictness: Strictness::SpecOnly,
            known_exceptions: true,
            rfc2822_gmt: false,
        }
    }
}

impl Options {
    /// What the fidelity tests hold the simulator to.
    pub const FIDELITY: Options = Options {
        strictness: Strictness::NoUnknownKeys,
        known_exceptions: true,
        rfc2822_gmt: true,
    };
    /// What the official examples are held to: [`Options::FIDELITY`] except that one
    /// Recordings example writes a `+0100` offset.
    pub const EXAMPLES: Options = Options {
        rfc2822_gmt: false,
        ..Options::FIDELITY
    };
    /// The bare spec, no exceptions.
    pub const RAW: Options = Options {
        strictness: Strictness::SpecOnly,
        known_exceptions: false,
        rfc2822_gmt: false,
    };
}

/// What the value being checked may get away with: null (a `nullable` beside its `$ref`) and
/// the known exception of its property, if any.
#[derive(Debug, Clone, Copy, Default)]
struct Ctx {
    null_allowed: bool,
    relaxation: Option<(Relaxation, &'static Exception)>,
}

/// Whether keys the schema does not list are allowed in objects that list their properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// Only what the spec says (`additionalProperties: false` where written).
    SpecOnly,
    /// Also refuse keys the schema does not list: the simulator should send exactly the
    /// documented shape, so an unknown key is most likely a misspelt one.
    NoUnknownKeys,
}

struct Walker<'s> {
    spec: &'s Spec,
    options: Options,
    pointer: String,
    out: Vec<Violation>,
    hits: Vec<&'static Exception>,
}

/// A compact rendering of a JSON value for error messages.
pub fn describe(value: &Value) -> String {
    let kind = match value {
        Value::Null => return "null".into(),
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(a) => return format!("array of {}", a.len()),
        Value::Object(o) => return format!("object with {} keys", o.len()),
    };
    let mut text = value.to_string();
    if text.chars().count() > 80 {
        text = text.chars().take(77).collect::<String>() + "...";
    }
    format!("{kind} {text}")
}

fn escape_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

impl Walker<'_> {
    fn violation(&mut self, expected: impl Into<String>, actual: impl Into<String>) {
        self.out.push(Violation {
            pointer: self.pointer.clone(),
            expected: expected.into(),
            actual: actual.into(),
        });
    }

    fn at(&mut self, token: &str, f: impl FnOnce(&mut Self)) {
        let len = self.pointer.len();
        self.pointer.push('/');
        self.pointer.push_str(&escape_token(token));
        f(self);
        self.pointer.truncate(len);
    }

    fn hit(&mut self, exception: Option<&'static Exception>) {
        if let Some(e) = exception
            && !self.hits.iter().any(|h| std::ptr::eq(*h, e))
        {
            self.hits.push(e);
        }
    }

    fn check(&mut self, schema: &Value, value: &Value, ctx: Ctx, depth: usize) {
        self.check_in(schema, value, ctx, None, depth);
    }

    /// `component` is the `components.schemas` name `schema` was reached through, if any, so
    /// known exceptions can be looked up for its properties.
    fn check_in(
        &mut self,
        schema: &Value,
        value: &Value,
        ctx: Ctx,
        component: Option<&str>,
        depth: usize,
    ) {
        if depth > 64 {
            self.violation("a schema nesting under 64 levels", "a deeper $ref chain");
            return;
        }
        let ctx = Ctx {
            null_allowed: ctx.null_allowed || schema.get("nullable") == Some(&Value::Bool(true)),
            ..ctx
        };
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference.strip_prefix("#/components/schemas/");
            match self.spec.resolve(reference) {
                Ok(target) => self.check_in(target, value, ctx, name, depth + 1),
                Err(e) => self.violation(format!("a resolvable schema ({e})"), describe(value)),
            }
            // OpenAPI 3.0 ignores $ref siblings, but Twilio writes `type` and `nullable` there
            // meaning them; `nullable` went into the target's check, `type` is checked here.
            if !value.is_null() && ctx.relaxation.is_none() {
                self.check_type(schema, value);
            }
            return;
        }
        let exception = ctx.relaxation.map(|(_, e)| e);
        let relaxation = ctx.relaxation.map(|(r, _)| r);
        if value.is_null() {
            if !ctx.null_allowed {
                if relaxation == Some(Relaxation::Nullable) {
                    self.hit(exception);
                } else {
                    let ty = schema
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("value");
                    self.violation(format!("{ty} (not nullable)"), "null");
                }
            }
            return;
        }
        match (relaxation, value) {
            (Some(Relaxation::DecimalString), Value::String(s)) => {
                if is_decimal(s) {
                    self.hit(exception);
                } else {
                    self.violation("a decimal number in a string", describe(value));
                }
                return;
            }
            (Some(Relaxation::DecimalString), _) => {
                self.violation(
                    "a decimal number in a string (Twilio sends a string here)",
                    describe(value),
                );
                return;
            }
            (Some(Relaxation::EmptyString), Value::String(s)) if s.is_empty() => {
                let before = self.out.len();
                self.check_string(schema, s);
                if self.out.len() > before {
                    self.out.truncate(before);
                    self.hit(exception);
                }
                return;
            }
            _ => {}
        }
        if !self.check_type(schema, value) {
            return;
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.contains(value)
        {
            let list: Vec<String> = options.iter().map(Value::to_string).collect();
            self.violation(format!("one of [{}]", list.join(", ")), describe(value));
        }
        match value {
            Value::String(s) => self.check_string(schema, s),
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.at(&i.to_string(), |w| {
                            w.check(item_schema, item, Ctx::default(), depth + 1)
                        });
                    }
                }
            }
            Value::Object(map) => self.check_object(schema, map, component, depth),
            _ => {}
        }
    }

    /// Returns false (after recording it) when the JSON type is wrong.
    fn check_type(&mut self, schema: &Value, value: &Value) -> bool {
        let Some(ty) = schema.get("type").and_then(Value::as_str) else {
            return true;
        };
        let ok = match ty {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            other => {
                self.violation(
                    format!("a known type (schema says {other:?})"),
                    describe(value),
                );
                return false;
            }
        };
        if !ok {
            self.violation(ty.to_string(), describe(value));
        }
        ok
    }

    fn check_string(&mut self, schema: &Value, s: &str) {
        let len = s.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && len < min
        {
            self.violation(
                format!("at least {min} characters"),
                format!("{len}: {s:?}"),
            );
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && len > max
        {
            self.violation(format!("at most {max} characters"), format!("{len}: {s:?}"));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            match regex::Regex::new(pattern) {
                Ok(re) if re.is_match(s) => {}
                Ok(_) => self.violation(format!("a string matching {pattern}"), format!("{s:?}")),
                Err(e) => self.violation(format!("a supported pattern ({e})"), format!("{s:?}")),
            }
        }
        if let Some(format) = schema.get("format").and_then(Value::as_str) {
            if let Err(expected) = formats::check(format, s) {
                self.violation(expected, format!("{s:?}"));
            } else if format == "date-time-rfc-2822"
                && self.options.rfc2822_gmt
                && !formats::is_rfc2822_gmt(s)
            {
                self.violation("an RFC 2822 date-time in GMT (+0000)", format!("{s:?}"));
            }
        }
    }

    fn check_object(
        &mut self,
        schema: &Value,
        map: &serde_json::Map<String, Value>,
        component: Option<&str>,
        depth: usize,
    ) {
        let properties = schema.get("properties").and_then(Value::as_object);
        if let Some(properties) = properties {
            for (key, sub) in properties {
                let relaxation = if self.options.known_exceptions {
                    component.and_then(|c| exceptions::lookup(&self.spec.name, c, key))
                } else {
                    None
                };
                match map.get(key) {
                    Some(v) => {
                        let ctx = Ctx {
                            null_allowed: false,
                            relaxation: relaxation.map(|e| (e.relaxation, e)),
                        };
                        self.at(key, |w| w.check(sub, v, ctx, depth + 1));
                    }
                    None => self.violation(format!("key {key:?} present"), "absent"),
                }
            }
        }
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for key in required.iter().filter_map(Value::as_str) {
                let listed = properties.is_some_and(|p| p.contains_key(key));
                if !listed && !map.contains_key(key) {
                    self.violation(format!("required key {key:?} present"), "absent");
                }
            }
        }
        let listed = |key: &str| properties.is_some_and(|p| p.contains_key(key));
        match schema.get("additionalProperties") {
            Some(Value::Bool(false)) => {
                for key in map.keys().filter(|k| !listed(k)) {
                    self.violation(
                        "no keys beyond the listed properties",
                        format!("key {key:?}"),
                    );
                }
            }
            Some(extra @ Value::Object(_)) => {
                for (key, v) in map.iter().filter(|(k, _)| !listed(k)) {
                    self.at(key, |w| w.check(extra, v, Ctx::default(), depth + 1));
                }
            }
            _ => {
                if self.options.strictness == Strictness::NoUnknownKeys && properties.is_some() {
                    for key in map.keys().filter(|k| !listed(k)) {
                        self.violation("only keys the schema lists", format!("key {key:?}"));
                    }
                }
            }
        }
    }
}

/// A plain decimal as Twilio writes money and counts in strings: `-0.00750`, `12`, `0`.
pub fn is_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}
