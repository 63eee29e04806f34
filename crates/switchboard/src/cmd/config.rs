//! `--config FILE` (or `SWITCHBOARD_CONFIG`): settings in a TOML file, one key per command-line
//! setting that has a `SWITCHBOARD_*` variable, named as the variable without its prefix, in
//! lower case (`twilio_base_url = "http://127.0.0.1:8099"`, `data_dir = "/var/lib/switchboard"`).
//!
//! The file's values become those variables' defaults before the command line is parsed, so
//! one rule of precedence holds for every setting: a flag, then the environment, then the file,
//! then the built-in default.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

pub const CONFIG_ENV: &str = "SWITCHBOARD_CONFIG";
const PREFIX: &str = "SWITCHBOARD_";

/// The config file named by `--config FILE` / `--config=FILE`, else by `SWITCHBOARD_CONFIG`.
pub fn path_from(args: &[OsString]) -> Option<PathBuf> {
    let mut iter = args.iter().skip(1);
    while let Some(arg) = iter.next() {
        let Some(text) = arg.to_str() else { continue };
        if text == "--" {
            break;
        }
        if text == "--config" {
            return iter.next().map(PathBuf::from);
        }
        if let Some(path) = text.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os(CONFIG_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Every `SWITCHBOARD_*` variable the command line reads, by its key in the file.
pub fn known_settings(command: &clap::Command) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    collect(command, &mut out);
    out.remove(&key_of(CONFIG_ENV));
    out
}

fn collect(command: &clap::Command, out: &mut BTreeMap<String, String>) {
    for arg in command.get_arguments() {
        if let Some(name) = arg.get_env().and_then(|e| e.to_str())
            && name.starts_with(PREFIX)
        {
            out.insert(key_of(name), name.to_owned());
        }
    }
    for sub in command.get_subcommands() {
        collect(sub, out);
    }
}

fn key_of(variable: &str) -> String {
    variable
        .strip_prefix(PREFIX)
        .unwrap_or(variable)
        .to_ascii_lowercase()
}

/// The variables a config file sets, as (variable, value); a key the command line does not know,
/// or a value that is not a string, number or boolean, is an error naming the file and the key.
pub fn variables(
    path: &Path,
    text: &str,
    known: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<(String, String)>> {
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    let mut out = Vec::new();
    for (key, value) in table {
        let Some(variable) = known.get(&key) else {
            bail!(
                "{}: unknown setting `{key}`; the settings are: {}",
                path.display(),
                known.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        };
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => bail!(
                "{}: `{key}` must be a string, a number or true/false, not a {}",
                path.display(),
                other.type_str()
            ),
        };
        out.push((variable.clone(), text));
    }
    Ok(out)
}

/// Reads the config file, if one is named, and sets its values as defaults of their variables.
///
/// Must run before any other thread exists: it writes the process environment.
pub fn apply(args: &[OsString], command: &clap::Command) -> anyhow::Result<()> {
    let Some(path) = path_from(args) else {
        return Ok(());
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("could not read the config file {}", path.display()))?;
    for (variable, value) in variables(&path, &text, &known_settings(command))? {
        if std::env::var_os(&variable).is_none() {
            // SAFETY: called at the start of `main`, before the runtime or any thread starts,
            // so nothing reads the environment concurrently.
            unsafe { std::env::set_var(&variable, value) };
        }
    }
    Ok(())
}
