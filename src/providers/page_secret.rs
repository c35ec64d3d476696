//! Where the page secret (the key of per-session page tokens) comes from:
//! the `page_secret` setting (`KASSA_PAGE_SECRET`), or else a random secret
//! generated into `<data_dir>/page.secret` on first start and read back
//! afterwards. Several nodes behind one load balancer must share it (set the
//! setting, or copy the file). Never logged.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use crate::domain::page_token::PageSecret;

/// Loads (or on first start creates) the page secret.
pub fn load(inline: Option<&SecretString>, generated: &Path) -> anyhow::Result<PageSecret> {
    if let Some(s) = inline {
        return Ok(PageSecret::new(s.expose_secret().as_bytes().to_vec()));
    }
    if generated.exists() {
        let text = std::fs::read_to_string(generated)
            .with_context(|| format!("reading the page secret {}", generated.display()))?;
        let bytes = hex::decode(text.trim())
            .with_context(|| format!("{} is not a hex page secret", generated.display()))?;
        return Ok(PageSecret::new(bytes));
    }
    if let Some(dir) = generated.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut bytes = vec![0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(generated) {
        Ok(mut file) => {
            file.write_all(hex::encode(&bytes).as_bytes())
                .with_context(|| format!("writing {}", generated.display()))?;
            Ok(PageSecret::new(bytes))
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load(None, generated),
        Err(e) => Err(e).with_context(|| format!("creating {}", generated.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_is_kept_across_starts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page.secret");
        let first = load(None, &path).unwrap();
        let second = load(None, &path).unwrap();
        assert_eq!(first.token(7), second.token(7));
        let inline = load(Some(&SecretString::from("s")), &path).unwrap();
        assert_ne!(inline.token(7), first.token(7));
    }
}
