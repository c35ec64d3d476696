//! Where the secrets key comes from (the key that seals webhook secrets and
//! provider credentials in the database, see `domain::secret_box`): the
//! file named by `secrets_key_file` (`KASSA_SECRETS_KEY_FILE`), or, in
//! sandbox mode when that is unset, a key generated once into
//! `<data_dir>/secrets.key` (mode 0600) and read back afterwards.
//!
//! The file holds 32 bytes: raw, or as 64 hex digits, or as base64 (what
//! `head -c 32 /dev/urandom`, `openssl rand -hex 32` and
//! `openssl rand -base64 32` make). Several nodes on one database must share
//! it. Must not: log or print the key.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine as _;
use rand::RngCore;

use crate::domain::secret_box::{KEY_LEN, SecretBox};

/// The checked setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretsKeySource {
    /// An operator's key file; it must exist.
    File(PathBuf),
    /// Sandbox: generated into this path on first start.
    SandboxGenerated(PathBuf),
}

/// Reads (or in sandbox, on first start, creates) the secrets key.
pub fn load(source: &SecretsKeySource) -> anyhow::Result<SecretBox> {
    match source {
        SecretsKeySource::File(path) => read(path).with_context(|| {
            format!(
                "setting `secrets_key_file` (KASSA_SECRETS_KEY_FILE): {}",
                path.display()
            )
        }),
        SecretsKeySource::SandboxGenerated(path) => {
            if path.exists() {
                return read(path);
            }
            generate(path)
        }
    }
}

fn read(path: &Path) -> anyhow::Result<SecretBox> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("reading the secrets key {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                "the secrets key file can be read by other users; make it readable only by Kassa (chmod 600)"
            );
        }
    }
    let key = parse(&bytes).with_context(|| format!("the secrets key {}", path.display()))?;
    Ok(SecretBox::new(&key))
}

/// 32 raw bytes, 64 hex digits or base64 of 32 bytes (surrounding
/// whitespace allowed in the text forms).
fn parse(bytes: &[u8]) -> anyhow::Result<[u8; KEY_LEN]> {
    if let Ok(raw) = <[u8; KEY_LEN]>::try_from(bytes) {
        return Ok(raw);
    }
    let text = std::str::from_utf8(bytes)
        .map(str::trim)
        .unwrap_or_default();
    let decoded = hex::decode(text)
        .ok()
        .or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok());
    match decoded.and_then(|d| <[u8; KEY_LEN]>::try_from(d).ok()) {
        Some(key) => Ok(key),
        None => bail!(
            "must hold {KEY_LEN} random bytes (raw, 64 hex digits, or base64), e.g. made by `openssl rand -hex 32`"
        ),
    }
}

fn generate(path: &Path) -> anyhow::Result<SecretBox> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut key = [0u8; KEY_LEN];
    rand::rng().fill_bytes(&mut key);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(hex::encode(key).as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing the secrets key {}", path.display()))?;
            tracing::info!(path = %path.display(), "generated a sandbox secrets key");
            Ok(SecretBox::new(&key))
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(path),
        Err(e) => Err(e).with_context(|| format!("creating the secrets key {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::secret_box::Purpose;

    #[test]
    fn a_generated_key_is_private_and_kept_across_starts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data").join("secrets.key");
        let source = SecretsKeySource::SandboxGenerated(path.clone());
        let sealed = load(&source)
            .unwrap()
            .seal(Purpose::WebhookSecret, "s")
            .unwrap();
        let again = load(&source).unwrap();
        assert_eq!(again.open(Purpose::WebhookSecret, &sealed).unwrap(), "s");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn raw_hex_and_base64_keys_are_the_same_key() {
        let key = [9u8; KEY_LEN];
        let b64 = base64::engine::general_purpose::STANDARD.encode(key);
        for text in [
            key.to_vec(),
            hex::encode(key).into_bytes(),
            format!("{b64}\n").into_bytes(),
        ] {
            assert_eq!(parse(&text).unwrap(), key);
        }
    }

    #[test]
    fn a_missing_or_short_key_file_names_the_setting_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.key");
        let err = format!("{:#}", load(&SecretsKeySource::File(missing)).unwrap_err());
        assert!(err.contains("KASSA_SECRETS_KEY_FILE"), "{err}");
        let short = dir.path().join("short.key");
        std::fs::write(&short, "abcd").unwrap();
        let err = format!("{:#}", load(&SecretsKeySource::File(short)).unwrap_err());
        assert!(err.contains("32 random bytes"), "{err}");
    }
}
