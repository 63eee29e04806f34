//! The names people give things, each kind with one rule and one `parse`: trimmed, never empty,
//! never longer than its limit, never holding control characters (a line break in a name breaks
//! log lines, CSV exports and e-mail subjects). A value of these types has passed its rule, so
//! an operation that takes one does not check again.

use std::fmt;

/// A name that breaks its rule: `field` is the input it came from, `message` what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct NameError {
    pub field: &'static str,
    pub message: String,
}

impl From<NameError> for crate::AppError {
    fn from(e: NameError) -> Self {
        crate::AppError::Invalid {
            field: e.field,
            message: e.message,
        }
    }
}

/// The shared part of the rules: trim, length in characters, no control characters.
fn checked(
    input: &str,
    field: &'static str,
    max: usize,
    what: &str,
    length_rule: &str,
) -> Result<String, NameError> {
    let text = input.trim();
    if text.is_empty() || text.chars().count() > max {
        return Err(NameError {
            field,
            message: length_rule.to_owned(),
        });
    }
    if text.chars().any(char::is_control) {
        return Err(NameError {
            field,
            message: format!("{what} cannot hold control characters such as a line break or a tab"),
        });
    }
    Ok(text.to_owned())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

name_type!(
    /// A connection's label in the Data Manager: 1 to 64 characters.
    Label
);
name_type!(
    /// The name of a metric, goal, alert, scorecard or channel: 1 to 120 characters.
    Name
);
name_type!(
    /// A board's name: 1 to 200 characters (boards allowed that long before the other names
    /// had a rule, and stored boards keep theirs).
    BoardName
);
name_type!(
    /// A person's sign-in name: 1 to 64 ASCII letters, digits, '.', '-', '_' or '@', what may
    /// appear in a URL and a log line without escaping.
    UserName
);
name_type!(
    /// What an API token is called after: 1 to 100 characters.
    TokenName
);

impl Label {
    pub const MAX: usize = 64;

    pub fn parse(input: &str) -> Result<Self, NameError> {
        checked(
            input,
            "label",
            Self::MAX,
            "a connection name",
            "give the connection a name of 1 to 64 characters (e.g. production)",
        )
        .map(Label)
    }
}

impl Name {
    pub const MAX: usize = 120;

    pub fn parse(input: &str) -> Result<Self, NameError> {
        checked(
            input,
            "name",
            Self::MAX,
            "a name",
            "a name is 1 to 120 characters",
        )
        .map(Name)
    }
}

impl BoardName {
    pub const MAX: usize = 200;

    pub fn parse(input: &str) -> Result<Self, NameError> {
        checked(
            input,
            "name",
            Self::MAX,
            "a board name",
            "a board name has 1 to 200 characters",
        )
        .map(BoardName)
    }
}

impl UserName {
    pub const MAX: usize = 64;

    pub fn parse(input: &str) -> Result<Self, NameError> {
        let text = input.trim();
        let ok = !text.is_empty()
            && text.len() <= Self::MAX
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
        if ok {
            Ok(UserName(text.to_owned()))
        } else {
            // The same words as `AccountsError::BadName`, which the store path still answers.
            Err(NameError {
                field: "name",
                message: crate::accounts::AccountsError::BadName(text.to_owned()).to_string(),
            })
        }
    }
}

impl TokenName {
    pub const MAX: usize = 100;

    pub fn parse(input: &str) -> Result<Self, NameError> {
        checked(
            input,
            "name",
            Self::MAX,
            "a token name",
            "name the token (1 to 100 characters) after what uses it",
        )
        .map(TokenName)
    }
}

/// A block's title on a board: empty (the block then shows its metric's name) or at most 200
/// characters, without control characters.
pub fn block_title(input: &str) -> Result<String, NameError> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(String::new());
    }
    checked(
        text,
        "title",
        200,
        "a block title",
        "at most 200 characters",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long(n: usize) -> String {
        // Multi-byte characters: the limits count characters, not bytes.
        "é".repeat(n)
    }

    #[test]
    fn a_label_is_1_to_64_characters_trimmed() {
        assert_eq!(Label::parse("  prod  ").unwrap().as_str(), "prod");
        assert_eq!(Label::parse(&long(64)).unwrap().as_str(), long(64));
        for bad in ["", "   ", &long(65)] {
            let e = Label::parse(bad).unwrap_err();
            assert_eq!(e.field, "label");
            assert!(e.message.contains("1 to 64 characters"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn a_name_is_1_to_120_characters_trimmed() {
        assert_eq!(Name::parse(" Sales ").unwrap().as_str(), "Sales");
        assert!(Name::parse(&long(120)).is_ok());
        for bad in ["", "\t ", &long(121)] {
            let e = Name::parse(bad).unwrap_err();
            assert_eq!(
                (e.field, e.message.as_str()),
                ("name", "a name is 1 to 120 characters")
            );
        }
    }

    #[test]
    fn a_board_name_is_1_to_200_characters() {
        assert!(BoardName::parse(&long(200)).is_ok());
        for bad in ["", &long(201)] {
            let e = BoardName::parse(bad).unwrap_err();
            assert_eq!(e.message, "a board name has 1 to 200 characters");
        }
    }

    #[test]
    fn a_token_name_is_1_to_100_characters() {
        assert!(TokenName::parse(&long(100)).is_ok());
        for bad in ["", &long(101)] {
            assert!(
                TokenName::parse(bad)
                    .unwrap_err()
                    .message
                    .contains("1 to 100")
            );
        }
    }

    #[test]
    fn no_name_holds_a_control_character() {
        for bad in ["a\nb", "tab\there", "bell\u{7}", "del\u{7f}", "nel\u{85}x"] {
            assert!(
                Label::parse(bad)
                    .unwrap_err()
                    .message
                    .contains("control characters")
            );
            assert!(
                Name::parse(bad)
                    .unwrap_err()
                    .message
                    .contains("control characters")
            );
            assert!(
                BoardName::parse(bad)
                    .unwrap_err()
                    .message
                    .contains("control")
            );
            assert!(
                TokenName::parse(bad)
                    .unwrap_err()
                    .message
                    .contains("control")
            );
            assert!(UserName::parse(bad).is_err());
            assert!(block_title(bad).unwrap_err().message.contains("control"));
        }
        // Trimming happens first: a trailing line break is not part of the name.
        assert_eq!(Label::parse("prod\n").unwrap().as_str(), "prod");
    }

    #[test]
    fn a_user_name_is_64_ascii_name_characters() {
        assert_eq!(UserName::parse(" ada@x.io ").unwrap().as_str(), "ada@x.io");
        assert!(UserName::parse(&"a".repeat(64)).is_ok());
        for bad in ["", &"a".repeat(65), "two words", "ümlaut", "semi;colon"] {
            let e = UserName::parse(bad).unwrap_err();
            assert_eq!(e.field, "name");
            assert!(e.message.contains("1 to 64 letters"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn a_block_title_may_be_empty_but_not_longer_than_200() {
        assert_eq!(block_title("  ").unwrap(), "");
        assert_eq!(block_title(&long(200)).unwrap(), long(200));
        assert_eq!(block_title(&long(201)).unwrap_err().field, "title");
    }
}
