//! The data key, and the fields sealed under it (passport numbers, dates of birth).
//!
//! Each value is sealed with XChaCha20-Poly1305 under a random nonce, and bound to its row and
//! field (the associated data), so a sealed value moved to another row or field does not open.
//! The key comes from `CONVENE_DATA_KEY` (32 bytes, base64); without it, a SQLite database gets
//! a key file beside it at its first start. A server never makes a fresh key while sealed data
//! exists: it refuses to start instead, since what it wrote under a new key and what was sealed
//! under the old one could never be told apart again.

use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::schema::travel_requests;
use anyhow::{bail, Context};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use diesel::prelude::*;
use rand::RngCore;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The first byte of a sealed value: how it was sealed, should that ever change.
const FORMAT: u8 = 1;
const NONCE_LEN: usize = 24;

/// A field that is sealed, named in the associated data.
#[derive(Debug, Clone, Copy)]
pub enum Sealed {
    PassportNumber,
    BirthDate,
}

impl Sealed {
    fn name(self) -> &'static str {
        match self {
            Self::PassportNumber => "passport_number",
            Self::BirthDate => "date_of_birth",
        }
    }
}

/// The data key, if this server has one. Cloning shares it.
#[derive(Clone)]
pub struct Sealer {
    cipher: Option<Arc<XChaCha20Poly1305>>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.cipher.is_some() {
            "a key"
        } else {
            "no key"
        };
        f.debug_tuple("Sealer").field(&state).finish()
    }
}

/// Where the key came from, for the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    File(PathBuf),
    /// Made now, in this file.
    Made(PathBuf),
    /// An in-memory database: a key for this process alone.
    Ephemeral,
    None,
}

impl Sealer {
    fn from_bytes(bytes: &[u8]) -> anyhow::Result<Self> {
        if bytes.len() != 32 {
            bail!("the data key must be 32 bytes (it is {})", bytes.len());
        }
        let cipher = XChaCha20Poly1305::new_from_slice(bytes).context("the data key")?;
        Ok(Self {
            cipher: Some(Arc::new(cipher)),
        })
    }

    /// A server without a key: nothing can be sealed or opened.
    pub fn none() -> Self {
        Self { cipher: None }
    }

    /// A fresh random key, for tests and in-memory databases.
    pub fn random() -> Self {
        Self::from_bytes(&random_key()).unwrap_or_else(|_| Self::none())
    }

    /// A key given as base64 (`CONVENE_DATA_KEY`).
    pub fn from_base64(text: &str) -> anyhow::Result<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .context("CONVENE_DATA_KEY is not base64")?;
        Self::from_bytes(&bytes).context("CONVENE_DATA_KEY")
    }

    pub fn has_key(&self) -> bool {
        self.cipher.is_some()
    }

    fn cipher(&self) -> AppResult<&XChaCha20Poly1305> {
        self.cipher.as_deref().ok_or_else(|| {
            AppError::conflict(
                "no_data_key",
                "this server cannot keep passport details: it has no data key (CONVENE_DATA_KEY)",
            )
        })
    }

    /// Seals `plain` for one row's field. Without a key: 409 `no_data_key`, and nothing is
    /// stored in clear.
    pub fn seal(&self, plain: &str, row: &str, field: Sealed) -> AppResult<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = associated(row, field);
        let sealed = self
            .cipher()?
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| AppError::Unexpected(anyhow::anyhow!("cannot seal a field")))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(FORMAT);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens what `seal` made for the same row and field; anything else is an error.
    pub fn open(&self, sealed: &[u8], row: &str, field: Sealed) -> AppResult<String> {
        let cipher = self.cipher()?;
        let broken = || AppError::Unexpected(anyhow::anyhow!("a sealed field does not open"));
        if sealed.len() < 1 + NONCE_LEN || sealed[0] != FORMAT {
            return Err(broken());
        }
        let (nonce, body) = sealed[1..].split_at(NONCE_LEN);
        let aad = associated(row, field);
        let plain = cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| broken())?;
        String::from_utf8(plain).map_err(|_| broken())
    }
}

fn associated(row: &str, field: Sealed) -> String {
    format!("convene:{}:{row}", field.name())
}

fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    key
}

/// A SQLite database that is no file of its own (`:memory:`, a `mode=memory` URI, or none).
fn in_memory(path: &Path) -> bool {
    let text = path.to_string_lossy();
    text.is_empty() || text.starts_with(':') || text.contains("mode=memory")
}

/// The key file beside a SQLite database file (for a `file:` URI, beside the file it names).
pub fn key_file(database: &Path) -> PathBuf {
    let text = database.to_string_lossy();
    let file = match text.strip_prefix("file:") {
        Some(uri) => uri.split('?').next().unwrap_or(uri).to_owned(),
        None => text.into_owned(),
    };
    PathBuf::from(format!("{file}.data-key"))
}

/// One sealed value, if any is stored: (row, sealed passport number).
fn any_sealed(conn: &mut DbConn) -> AppResult<Option<(String, Vec<u8>)>> {
    let row: Option<(String, Option<Vec<u8>>)> = travel_requests::table
        .filter(travel_requests::passport_sealed.is_not_null())
        .select((
            travel_requests::registration_id,
            travel_requests::passport_sealed,
        ))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(id, sealed)| sealed.map(|s| (id, s))))
}

/// The server's key: from the environment, else (SQLite) from the file beside the database,
/// made there if no sealed data exists yet. Refuses, with what to do, when sealed data exists
/// and the key is missing or does not open it.
pub fn load(
    conn: &mut DbConn,
    database: Option<&Path>,
    given: Option<&str>,
) -> anyhow::Result<(Sealer, KeySource)> {
    let stored = any_sealed(conn).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (sealer, source) = match (given, database) {
        (Some(text), _) => (Sealer::from_base64(text)?, KeySource::Environment),
        (None, Some(path)) if in_memory(path) => (Sealer::random(), KeySource::Ephemeral),
        (None, Some(path)) => from_file(path, stored.is_some())?,
        (None, None) => (Sealer::none(), KeySource::None),
    };
    if let Some((row, sealed)) = stored {
        if !sealer.has_key() {
            bail!(
                "this database holds passport numbers and dates of birth sealed with a data key, \
                 and no key was given: set CONVENE_DATA_KEY to the key they were sealed with \
                 (if it is lost, `convene forget-sealed-data` erases them; see the README)"
            );
        }
        if sealer.open(&sealed, &row, Sealed::PassportNumber).is_err() {
            bail!(
                "the data key does not open the passport numbers stored in this database: it is \
                 not the key they were sealed with (if that key is lost, \
                 `convene forget-sealed-data` erases them; see the README)"
            );
        }
    }
    Ok((sealer, source))
}

fn from_file(database: &Path, sealed_exists: bool) -> anyhow::Result<(Sealer, KeySource)> {
    let path = key_file(database);
    match read_key_file(&path) {
        Ok(sealer) => Ok((sealer, KeySource::File(path))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if sealed_exists {
                bail!(
                    "this database holds passport numbers and dates of birth sealed with a data \
                     key, and its key file {} is gone: put it back or set CONVENE_DATA_KEY (if \
                     the key is lost, `convene forget-sealed-data` erases them; see the README)",
                    path.display()
                );
            }
            let key = random_key();
            let text = base64::engine::general_purpose::STANDARD.encode(key);
            match publish_private(&path, &text) {
                Ok(()) => Ok((Sealer::from_bytes(&key)?, KeySource::Made(path))),
                // Another process starting on the same database made it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let sealer = read_key_file(&path)
                        .with_context(|| format!("cannot read the key file {}", path.display()))?;
                    Ok((sealer, KeySource::File(path)))
                }
                Err(e) => {
                    Err(e).with_context(|| format!("cannot make the key file {}", path.display()))
                }
            }
        }
        Err(e) => Err(e).with_context(|| format!("cannot read the key file {}", path.display())),
    }
}

/// The key in a key file; a file others may read is used, with a warning to fix it.
fn read_key_file(path: &Path) -> std::io::Result<Sealer> {
    use std::os::unix::fs::PermissionsExt;
    let text = std::fs::read_to_string(path)?;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(
            file = %path.display(),
            mode = format!("{:o}", mode & 0o777),
            "the data key file is readable by others than its owner: chmod 600 it"
        );
    }
    Sealer::from_base64(&text).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the key file {} holds no key: {e}", path.display()),
        )
    })
}

/// Writes a new file readable by its owner alone, whole or not at all: it is written and
/// synced under another name, then linked to its own, which fails if that name exists.
fn publish_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    // A name of its own each time: a draft left by a crash never stands in the way.
    let draft = path.with_extension(format!("{}.draft", hex::encode(random_key())));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&draft)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::hard_link(&draft, path)
    })();
    let _ = std::fs::remove_file(&draft);
    written
}

/// Erases every sealed field (the key is lost): the letters need them entered again, and
/// everything else goes on. Answers how many requests lost them.
pub fn forget_all(conn: &mut DbConn) -> AppResult<usize> {
    Ok(diesel::update(
        travel_requests::table.filter(
            travel_requests::passport_sealed
                .is_not_null()
                .or(travel_requests::birth_date_sealed.is_not_null()),
        ),
    )
    .set((
        travel_requests::passport_sealed.eq(None::<Vec<u8>>),
        travel_requests::birth_date_sealed.eq(None::<Vec<u8>>),
        travel_requests::passport_hint.eq(None::<String>),
    ))
    .execute(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_for_its_row_and_field_and_never_shows_in_clear() {
        let sealer = Sealer::random();
        let sealed = sealer
            .seal("G12345678", "row-1", Sealed::PassportNumber)
            .unwrap();
        assert!(!sealed.windows(9).any(|w| w == b"G12345678"));
        assert_eq!(
            sealer
                .open(&sealed, "row-1", Sealed::PassportNumber)
                .unwrap(),
            "G12345678"
        );
        assert!(sealer
            .open(&sealed, "row-2", Sealed::PassportNumber)
            .is_err());
        assert!(sealer.open(&sealed, "row-1", Sealed::BirthDate).is_err());
        assert!(Sealer::random()
            .open(&sealed, "row-1", Sealed::PassportNumber)
            .is_err());
        let again = sealer
            .seal("G12345678", "row-1", Sealed::PassportNumber)
            .unwrap();
        assert_ne!(sealed, again, "a fresh nonce each time");
    }

    #[test]
    fn without_a_key_nothing_is_sealed() {
        assert!(matches!(
            Sealer::none().seal("x", "r", Sealed::BirthDate),
            Err(AppError::Conflict {
                code: "no_data_key",
                ..
            })
        ));
    }

    #[test]
    fn an_in_memory_database_gets_no_key_file() {
        assert!(in_memory(Path::new(":memory:")));
        assert!(in_memory(Path::new("file:shared?mode=memory&cache=shared")));
        assert!(!in_memory(Path::new("convene.db")));
        assert!(
            !in_memory(Path::new("file:/srv/convene.db")),
            "a file, as a URI"
        );
        assert_eq!(
            key_file(Path::new("file:/srv/convene.db?mode=rwc")),
            PathBuf::from("/srv/convene.db.data-key")
        );
        assert_eq!(
            key_file(Path::new("/srv/convene.db")),
            PathBuf::from("/srv/convene.db.data-key")
        );
    }

    #[test]
    fn a_key_must_be_32_bytes_of_base64() {
        assert!(Sealer::from_base64("not base64!").is_err());
        assert!(Sealer::from_base64("c2hvcnQ=").is_err());
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert!(Sealer::from_base64(&key).unwrap().has_key());
    }

    #[test]
    fn a_key_file_is_made_whole_once_and_then_read() {
        use std::os::unix::fs::PermissionsExt;
        let folder = tempfile::tempdir().unwrap();
        let database = folder.path().join("convene.db");
        let (made, source) = from_file(&database, false).unwrap();
        assert!(matches!(source, KeySource::Made(_)));
        let path = key_file(&database);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (read, source) = from_file(&database, true).unwrap();
        assert!(matches!(source, KeySource::File(_)));
        let sealed = made
            .seal("G7731905", "row", Sealed::PassportNumber)
            .unwrap();
        assert_eq!(
            read.open(&sealed, "row", Sealed::PassportNumber).unwrap(),
            "G7731905"
        );
        // Nothing but the database's key file is left in the folder.
        let names: Vec<_> = std::fs::read_dir(folder.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![path.file_name().unwrap().to_owned()]);
        // A second publisher finds the name taken, and the key is never replaced.
        let taken = publish_private(&path, "another").unwrap_err();
        assert_eq!(taken.kind(), std::io::ErrorKind::AlreadyExists);
        let (again, _) = from_file(&database, true).unwrap();
        assert!(again.open(&sealed, "row", Sealed::PassportNumber).is_ok());
        // A file that holds no key is refused, naming it.
        std::fs::write(&path, "").unwrap();
        let refused = from_file(&database, true).unwrap_err();
        assert!(format!("{refused:#}").contains("convene.db.data-key"));
    }
}
