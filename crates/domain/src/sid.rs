use std::fmt;
use std::str::FromStr;

/// A string that is not a well-formed Twilio SID of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} must be '{prefix}' followed by 32 hexadecimal characters (34 in all), got {got}")]
pub struct SidError {
    pub field: &'static str,
    pub prefix: &'static str,
    /// What was given, shortened and with control characters escaped, so the message is safe to show.
    pub got: String,
}

fn describe(input: &str) -> String {
    if input.is_empty() {
        return "an empty value".to_owned();
    }
    let shown: String = input
        .chars()
        .take(40)
        .flat_map(char::escape_debug)
        .collect();
    let more = if input.chars().count() > 40 {
        "…"
    } else {
        ""
    };
    format!("'{shown}{more}' ({} characters)", input.chars().count())
}

fn check(input: &str, prefix: &'static str, field: &'static str) -> Result<(), SidError> {
    let ok = input.len() == 34
        && input.starts_with(prefix)
        && input[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(SidError {
            field,
            prefix,
            got: describe(input),
        })
    }
}

macro_rules! sid_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;
            pub const FIELD: &'static str = $field;

            pub fn parse(input: &str) -> Result<Self, SidError> {
                let input = input.trim();
                check(input, $prefix, $field)?;
                Ok(Self(input.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = SidError;
            fn from_str(s: &str) -> Result<Self, SidError> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

sid_type!(
    /// A Twilio Account SID: `AC` and 32 hexadecimal characters.
    AccountSid, "AC", "Account SID"
);
sid_type!(
    /// A Twilio API Key SID: `SK` and 32 hexadecimal characters.
    ApiKeySid, "SK", "API Key SID"
);
