//! Twilio SIDs: a two-letter prefix and 32 lowercase hex digits, kept as a `u128` so records
//! stay small and compare cheaply.

use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Sid {
    pub prefix: [u8; 2],
    pub id: u128,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Sid {
    pub const fn new(prefix: &[u8; 2], id: u128) -> Sid {
        Sid {
            prefix: *prefix,
            id,
        }
    }

    /// The 34 ASCII bytes of the SID, without allocating.
    pub fn bytes(&self) -> [u8; 34] {
        let mut out = [0u8; 34];
        out[0] = self.prefix[0];
        out[1] = self.prefix[1];
        for i in 0..32 {
            let nibble = (self.id >> (124 - 4 * i)) & 0xf;
            out[2 + i] = HEX[nibble as usize];
        }
        out
    }

    /// Parses `XX` + 32 hex digits (either case).
    pub fn parse(s: &str) -> Option<Sid> {
        let b = s.as_bytes();
        if b.len() != 34 || !b[0].is_ascii_uppercase() || !b[1].is_ascii_uppercase() {
            return None;
        }
        let id = u128::from_str_radix(s.get(2..)?, 16).ok()?;
        if !b[2..].iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        Some(Sid {
            prefix: [b[0], b[1]],
            id,
        })
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.bytes();
        // The bytes are ASCII by construction (prefix letters are checked or constant).
        f.write_str(std::str::from_utf8(&bytes).unwrap_or("??"))
    }
}

impl serde::Serialize for Sid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
