//! Sealing secrets at rest: XChaCha20-Poly1305 under a 32-byte master key.
//!
//! A sealed value is `[format byte 1][24-byte random nonce][ciphertext + tag]`. The associated
//! data names the row and column the value belongs to (`connections:{id}:secret`), so a sealed
//! secret copied into another row does not open.
//!
//! The random nonce comes from the operating system through `getrandom` (the path
//! `chacha20poly1305` 0.11 provides itself): the workspace's `rand` 0.9 implements an older
//! `rand_core` than `aead` 0.6 accepts.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use domain::Secret;

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;

/// The environment variable holding the base64 master key.
pub const MASTER_KEY_ENV: &str = "SWITCHBOARD_MASTER_KEY";
/// The key file's name inside the data folder.
pub const KEY_FILE_NAME: &str = "master.key";

/// A problem with the master key itself (not with what it opens).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error(
        "the master key from {source_name} is not valid base64: give 32 random bytes in standard base64 (44 characters), e.g. from `openssl rand -base64 32`"
    )]
    NotBase64 { source_name: String },

    #[error(
        "the master key from {source_name} is {len} bytes long; it must be exactly 32 bytes (44 base64 characters)"
    )]
    WrongLength { source_name: String, len: usize },

    #[error("cannot read the master key file {path}: {source}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "cannot create the master key file {path}: {source}; check that the data folder is writable"
    )]
    WriteFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("the operating system's random number generator failed: {0}")]
    Random(String),

    #[error("sealing a secret failed")]
    Seal,
}

/// Where the master key in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    KeyFile(PathBuf),
    /// A new key file was written with 0600 permissions.
    CreatedKeyFile(PathBuf),
}

/// The 32-byte key that seals every stored secret. Its `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey([u8; KEY_LEN]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

impl MasterKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self, KeyError> {
        let key = Key::try_generate().map_err(|e| KeyError::Random(e.to_string()))?;
        let mut bytes = [0u8; KEY_LEN];
        bytes.copy_from_slice(key.as_slice());
        Ok(Self(bytes))
    }

    /// Parses standard base64 (surrounding whitespace ignored); `source_name` says where the text
    /// came from, for the error message.
    pub fn from_base64(text: &str, source_name: &str) -> Result<Self, KeyError> {
        let decoded = STANDARD
            .decode(text.trim())
            .map_err(|_| KeyError::NotBase64 {
                source_name: source_name.to_owned(),
            })?;
        let bytes: [u8; KEY_LEN] =
            decoded
                .as_slice()
                .try_into()
                .map_err(|_| KeyError::WrongLength {
                    source_name: source_name.to_owned(),
                    len: decoded.len(),
                })?;
        Ok(Self(bytes))
    }

    /// The key as base64, wrapped so it does not print by accident.
    pub fn to_base64(&self) -> Secret {
        Secret::new(STANDARD.encode(self.0))
    }

    /// The key named by the environment value if there is one, else the key file, created with a
    /// fresh key and 0600 permissions if it does not exist yet.
    pub fn resolve(
        env_value: Option<&str>,
        key_file: &Path,
    ) -> Result<(Self, KeySource), KeyError> {
        if let Some(text) = env_value.filter(|t| !t.trim().is_empty()) {
            return Ok((
                Self::from_base64(text, MASTER_KEY_ENV)?,
                KeySource::Environment,
            ));
        }
        match std::fs::read_to_string(key_file) {
            Ok(text) => {
                warn_if_readable_by_others(key_file);
                let key = Self::from_base64(&text, &key_file.display().to_string())?;
                Ok((key, KeySource::KeyFile(key_file.to_owned())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate()?;
                key.write_key_file(key_file)?;
                Ok((key, KeySource::CreatedKeyFile(key_file.to_owned())))
            }
            Err(source) => Err(KeyError::ReadFile {
                path: key_file.to_owned(),
                source,
            }),
        }
    }

    /// `resolve` with `SWITCHBOARD_MASTER_KEY` and `DATA_DIR/master.key`.
    pub fn from_environment(data_dir: &Path) -> Result<(Self, KeySource), KeyError> {
        let env = std::env::var(MASTER_KEY_ENV).ok();
        Self::resolve(env.as_deref(), &data_dir.join(KEY_FILE_NAME))
    }

    /// Writes the key to `path` with 0600 permissions, replacing any file there only once the new
    /// one is complete (write to a temporary file, then rename), so a crash never leaves half a key.
    pub fn write_key_file(&self, path: &Path) -> Result<(), KeyError> {
        let err = |source| KeyError::WriteFile {
            path: path.to_owned(),
            source,
        };
        let tmp = path.with_extension("key.tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp).map_err(err)?;
        let mut text = STANDARD.encode(self.0);
        text.push('\n');
        file.write_all(text.as_bytes()).map_err(err)?;
        file.sync_all().map_err(err)?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(err)?;
        Ok(())
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&Key::from(self.0))
    }

    /// Seals `plaintext` bound to `aad`.
    pub(crate) fn seal(&self, plaintext: &[u8], aad: &str) -> Result<Vec<u8>, KeyError> {
        let nonce = XNonce::try_generate().map_err(|e| KeyError::Random(e.to_string()))?;
        let ciphertext = self
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| KeyError::Seal)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// Opens a sealed value; `None` when the key is wrong, the associated data differs, or the
    /// bytes are damaged (the cipher cannot tell these apart, by design).
    pub(crate) fn open(&self, sealed: &[u8], aad: &str) -> Option<Vec<u8>> {
        let (&format, rest) = sealed.split_first()?;
        if format != FORMAT_V1 || rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).ok()?;
        self.cipher()
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .ok()
    }
}

pub(crate) fn connection_aad(id: i64) -> String {
    format!("connections:{id}:secret")
}

/// A known value sealed in the `meta` table when the database is created, so a wrong master key
/// is reported when the store opens rather than at the first secret it reads.
pub(crate) const KEY_CHECK_META: &str = "master_key_check";
pub(crate) const KEY_CHECK_AAD: &str = "meta:master_key_check";
pub(crate) const KEY_CHECK_PLAINTEXT: &[u8] = b"switchboard master key check v1";

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "the master key file is readable by other users; run chmod 600 on it");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
