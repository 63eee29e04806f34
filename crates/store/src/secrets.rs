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
/// The environment variable naming a file that holds the base64 master key.
pub const MASTER_KEY_FILE_ENV: &str = "SWITCHBOARD_MASTER_KEY_FILE";
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

    #[error(
        "{source_name} is empty: it must hold the base64 master key (44 characters). Nothing falls back to another key; unset it to use the next source, or make a key with `switchboard key generate FILE`"
    )]
    Empty { source_name: String },

    #[error(
        "the master key file {path} does not exist, and this store already has secrets sealed under a key: give the file that holds that key. If the key is lost, see `switchboard key reset --forget-secrets`"
    )]
    FileMissing { path: PathBuf },

    #[error(
        "this is a new PostgreSQL store and no master key was given; nothing is written to a data folder for PostgreSQL. Make a key with `switchboard key generate /path/to/master.key` and pass it with --master-key-file (or SWITCHBOARD_MASTER_KEY_FILE), or set SWITCHBOARD_MASTER_KEY"
    )]
    NeededForNewStore,

    #[error("{path} already exists; a key file is never overwritten: choose another path")]
    FileExists { path: PathBuf },

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
    /// No key: the store opens without its secrets (see [`KeyState::Missing`]).
    None,
}

/// Where the operator said the master key is, before anything is read. The order of the
/// sources is decided by whoever builds it (the binary: `--master-key-file`, then
/// `SWITCHBOARD_MASTER_KEY`, then the data folder's file for SQLite only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyConfig {
    /// A key file named explicitly: created only for a new store.
    File(PathBuf),
    /// The base64 text of `SWITCHBOARD_MASTER_KEY`.
    Environment(String),
    /// The SQLite data folder's `master.key`: created for a new store; when it is missing
    /// beside an existing store (a database restored without its key), the store opens
    /// without its secrets and nothing is written.
    DefaultFile(PathBuf),
    /// Nothing given (PostgreSQL without a key): a new store is refused, an existing one
    /// opens without its secrets.
    Nothing,
}

impl KeyConfig {
    /// Reads the key. `store_is_new` (no key check recorded yet) decides whether a missing
    /// file may be created. An empty value or file is an error, never a fall-back.
    pub fn load(&self, store_is_new: bool) -> Result<(Option<MasterKey>, KeySource), KeyError> {
        match self {
            KeyConfig::Environment(text) => {
                if text.trim().is_empty() {
                    return Err(KeyError::Empty {
                        source_name: MASTER_KEY_ENV.to_owned(),
                    });
                }
                Ok((
                    Some(MasterKey::from_base64(text, MASTER_KEY_ENV)?),
                    KeySource::Environment,
                ))
            }
            KeyConfig::File(path) | KeyConfig::DefaultFile(path) => {
                match MasterKey::read_key_file(path)? {
                    Some(key) => Ok((Some(key), KeySource::KeyFile(path.clone()))),
                    None if store_is_new => {
                        let key = MasterKey::generate()?;
                        key.write_key_file(path)?;
                        Ok((Some(key), KeySource::CreatedKeyFile(path.clone())))
                    }
                    None if matches!(self, KeyConfig::File(_)) => {
                        Err(KeyError::FileMissing { path: path.clone() })
                    }
                    None => Ok((None, KeySource::None)),
                }
            }
            KeyConfig::Nothing if store_is_new => Err(KeyError::NeededForNewStore),
            KeyConfig::Nothing => Ok((None, KeySource::None)),
        }
    }
}

/// Whether a store's sealed secrets can be opened, as decided when it opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// The key opens the store's key check: secrets open and new ones can be sealed.
    Verified,
    /// No master key was given: everything but the sealed secrets works.
    Missing,
    /// The key given does not open the key check: it is not the key the secrets were sealed
    /// with. Everything but the sealed secrets works, and nothing is sealed under it.
    Mismatched,
}

impl KeyState {
    /// Why a secret cannot be opened in this state; `None` when it can.
    pub fn unavailability(self) -> Option<Unavailability> {
        match self {
            KeyState::Verified => None,
            KeyState::Missing => Some(Unavailability::NoKey),
            KeyState::Mismatched => Some(Unavailability::WrongKey),
        }
    }
}

/// Which sealed value, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealedItem {
    ConnectionSecret {
        label: String,
    },
    ChannelSecret {
        name: String,
    },
    SigningKey {
        purpose: String,
    },
    /// The Auth Token of a connection, which verifies Twilio's callback signatures.
    ConnectionAuthToken {
        label: String,
    },
    /// A new secret that would have to be sealed.
    NewSecret,
}

/// Why a sealed value cannot be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailability {
    NoKey,
    WrongKey,
    /// `key reset --forget-secrets` dropped it.
    Forgotten,
    /// It does not open under the right key: the row was changed or copied from another.
    Damaged,
    /// None was ever entered, or it was removed.
    NotEntered,
}

/// A sealed value that cannot be opened (or a new one that cannot be sealed); the message says
/// how to get it back. Carries no secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct SecretUnavailable {
    pub what: SealedItem,
    pub why: Unavailability,
}

impl SecretUnavailable {
    fn describe(&self) -> String {
        let what = match &self.what {
            SealedItem::ConnectionSecret { label } => {
                format!("the API Key Secret of connection '{label}' is unavailable")
            }
            SealedItem::ChannelSecret { name } => {
                format!("the secret of channel '{name}' is unavailable")
            }
            SealedItem::SigningKey { purpose } => {
                format!("the {purpose} signing key is unavailable")
            }
            SealedItem::ConnectionAuthToken { label } => {
                format!("the Auth Token of connection '{label}' is unavailable")
            }
            SealedItem::NewSecret => "a new secret cannot be sealed".to_owned(),
        };
        let why = match self.why {
            Unavailability::NoKey => "this store was opened without its master key",
            Unavailability::WrongKey => {
                "the master key given is not the one this store's secrets were sealed with"
            }
            Unavailability::Forgotten => {
                "it was dropped by `switchboard key reset --forget-secrets`"
            }
            Unavailability::Damaged => {
                "it does not open under the master key (the stored row was changed)"
            }
            Unavailability::NotEntered => "none was entered",
        };
        let again = match &self.what {
            SealedItem::ConnectionSecret { label } => {
                format!("re-enter it with `switchboard connection update '{label}' --secret-stdin`")
            }
            SealedItem::ChannelSecret { name } => {
                format!("re-enter it by editing the channel '{name}' on the Channels screen")
            }
            SealedItem::SigningKey { .. } => {
                "a new one is made then (links and messages signed before stop working)".to_owned()
            }
            SealedItem::ConnectionAuthToken { label } => {
                format!("enter it in the Data Manager's real-time settings of connection '{label}'")
            }
            SealedItem::NewSecret => "then try again".to_owned(),
        };
        match self.why {
            Unavailability::NoKey | Unavailability::WrongKey => format!(
                "{what}: {why}. Give the right key (--master-key-file, {MASTER_KEY_FILE_ENV} or {MASTER_KEY_ENV}); if it is lost, run `switchboard key reset --forget-secrets` and {again}"
            ),
            Unavailability::Forgotten | Unavailability::Damaged | Unavailability::NotEntered => {
                format!("{what}: {why}; {again}")
            }
        }
    }
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
    /// fresh key and 0600 permissions if it does not exist yet. An empty environment value is an
    /// error: it is never taken for "unset".
    pub fn resolve(
        env_value: Option<&str>,
        key_file: &Path,
    ) -> Result<(Self, KeySource), KeyError> {
        let config = match env_value {
            Some(text) => KeyConfig::Environment(text.to_owned()),
            None => KeyConfig::DefaultFile(key_file.to_owned()),
        };
        match config.load(true)? {
            (Some(key), source) => Ok((key, source)),
            (None, _) => Err(KeyError::FileMissing {
                path: key_file.to_owned(),
            }),
        }
    }

    /// The key in `path`; `None` when there is no such file. An empty file is an error.
    pub fn read_key_file(path: &Path) -> Result<Option<Self>, KeyError> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                warn_if_readable_by_others(path);
                let name = path.display().to_string();
                if text.trim().is_empty() {
                    return Err(KeyError::Empty {
                        source_name: format!("the master key file {name}"),
                    });
                }
                Ok(Some(Self::from_base64(&text, &name)?))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(KeyError::ReadFile {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Writes a fresh key to `path` (0600), refusing to replace any file there.
    pub fn generate_file(path: &Path) -> Result<Self, KeyError> {
        if path.exists() {
            return Err(KeyError::FileExists {
                path: path.to_owned(),
            });
        }
        let key = Self::generate()?;
        key.write_new_key_file(path)?;
        Ok(key)
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

    /// Writes the key to `path` (0600) only if no file is there: the check and the creation are
    /// one step (`create_new`), so two runs cannot both write.
    fn write_new_key_file(&self, path: &Path) -> Result<(), KeyError> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                KeyError::FileExists {
                    path: path.to_owned(),
                }
            } else {
                KeyError::WriteFile {
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
        let mut text = STANDARD.encode(self.0);
        text.push('\n');
        let done = file
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_all());
        done.map_err(|source| KeyError::WriteFile {
            path: path.to_owned(),
            source,
        })
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

pub(crate) fn auth_token_aad(connection_id: i64) -> String {
    format!("connection_hooks:{connection_id}:auth_token")
}

/// 32 hex characters (128 bits) from the operating system's random source, through the same
/// `getrandom` path the nonces take: a value that names something publicly and must not be
/// guessable (a callback hook key).
pub(crate) fn random_hex_128() -> Result<String, KeyError> {
    let key = Key::try_generate().map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(key.as_slice()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
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
