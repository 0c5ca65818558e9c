//! Small files read whole, with a limit; the private key's passphrase.

use std::fs::File;
use std::io::{IsTerminal, Read};
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::CliError;

/// Bytes of a key, a passphrase or a PIN: wiped when dropped.
pub type SecretBytes = Zeroizing<Vec<u8>>;

/// Keys, certificates and property files are small; anything bigger is a mistake.
const SMALL_FILE_LIMIT: u64 = 16 * 1024 * 1024;

/// The error for a file that could not be read.
pub fn read_error(what: &'static str, path: &Path, source: std::io::Error) -> CliError {
    CliError::Read {
        what,
        path: path.display().to_string(),
        source,
    }
}

/// Opens a file of at most `limit` bytes, and says its size.
///
/// # Errors
/// [`CliError::Read`] when it cannot be opened, [`CliError::TooLarge`] above `limit`.
pub fn open_at_most(what: &'static str, path: &Path, limit: u64) -> Result<(File, u64), CliError> {
    let f = File::open(path).map_err(|e| read_error(what, path, e))?;
    let size = f.metadata().map_err(|e| read_error(what, path, e))?.len();
    if size > limit {
        return Err(CliError::TooLarge {
            what,
            path: path.display().to_string(),
            size,
            limit,
        });
    }
    Ok((f, size))
}

/// Reads a small file whole.
///
/// # Errors
/// [`CliError::Read`] when it cannot be read, [`CliError::TooLarge`] above 16 MiB.
pub fn read_small(what: &'static str, path: &Path) -> Result<Vec<u8>, CliError> {
    let (mut f, size) = open_at_most(what, path, SMALL_FILE_LIMIT)?;
    let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    Read::by_ref(&mut f)
        .take(SMALL_FILE_LIMIT + 1)
        .read_to_end(&mut buf)
        .map_err(|e| read_error(what, path, e))?;
    Ok(buf)
}

/// The error for a file that was read but could not be understood.
pub fn malformed(
    what: &'static str,
    path: &Path,
    detail: impl ToString,
    fix: Option<String>,
) -> CliError {
    CliError::Malformed {
        what,
        path: path.display().to_string(),
        detail: detail.to_string(),
        fix,
    }
}

/// The key file's bytes and its passphrase: from the passphrase file, else typed at a prompt
/// when the key is encrypted and stdin is a terminal. Both are wiped when dropped.
///
/// # Errors
/// [`CliError::Read`] for an unreadable key or passphrase file, or a failed prompt.
pub fn private_key_material(
    path: &Path,
    passphrase_file: Option<&Path>,
) -> Result<(SecretBytes, Option<SecretBytes>), CliError> {
    let bytes = Zeroizing::new(read_small("private key", path)?);
    warn_if_others_can_read("private key", path);
    let mut passphrase = match passphrase_file {
        Some(p) => Some(secret_line("passphrase file", p)?),
        None => None,
    };
    if passphrase.is_none()
        && glance_sig_core::is_encrypted(&bytes)
        && std::io::stdin().is_terminal()
    {
        let typed = rpassword::prompt_password(format!("Passphrase for {}: ", path.display()))
            .map_err(|e| read_error("passphrase from the terminal", path, e))?;
        passphrase = Some(Zeroizing::new(typed.into_bytes()));
    }
    Ok((bytes, passphrase))
}

/// The first line of a file holding a secret (a passphrase, a PIN), without its line end,
/// wiped when dropped; warns when other users may read the file.
///
/// # Errors
/// As [`read_small`]; [`CliError::Malformed`] when the first line is empty (an empty
/// secret is a mistake, never what a token or a key was locked with).
pub fn secret_line(what: &'static str, path: &Path) -> Result<SecretBytes, CliError> {
    let raw = Zeroizing::new(read_small(what, path)?);
    warn_if_others_can_read(what, path);
    let line = raw.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        return Err(malformed(
            what,
            path,
            "its first line is empty",
            Some(format!(
                "write the {} on the file's first line",
                what.trim_end_matches(" file")
            )),
        ));
    }
    Ok(Zeroizing::new(line.to_vec()))
}

/// Warns, as ssh does, about a secret file that other users may read or change: the key (or
/// its passphrase, or a token's PIN) is then theirs too.
pub fn warn_if_others_can_read(what: &str, path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        crate::output::render::err_line(&format!(
            "glance-sig: warning: {what} {} is open to other users (mode {mode:04o}): chmod 600 {}",
            path.display(),
            path.display()
        ));
    }
}
