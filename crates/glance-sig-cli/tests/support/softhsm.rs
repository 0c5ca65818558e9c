//! A fresh SoftHSM2 token for one test: its own configuration (`SOFTHSM2_CONF`) and token
//! store in the test's directory, keys imported with `softhsm2-util` (scripts/setup.sh installs
//! Debian's softhsm2).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Debian puts the module.
const MODULES: [&str; 2] = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
];

pub const PIN: &str = "2468";

fn perms(path: &Path) -> std::fs::Permissions {
    std::fs::metadata(path).expect("metadata").permissions()
}

pub struct SoftHsm {
    pub conf: PathBuf,
    pub module: PathBuf,
    pub pin_file: PathBuf,
    pub label: String,
}

impl SoftHsm {
    /// An initialized, empty token labelled `label`, stored under `dir`.
    pub fn new(dir: &Path, label: &str) -> Self {
        let module = MODULES
            .iter()
            .map(PathBuf::from)
            .find(|m| m.is_file())
            .expect("SoftHSM2 is not installed: scripts/setup.sh installs it (Debian softhsm2)");
        let tokens = dir.join("tokens");
        std::fs::create_dir_all(&tokens).expect("token dir");
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .expect("softhsm2.conf");
        let pin_file = dir.join("pin");
        std::fs::write(&pin_file, format!("{PIN}\n")).expect("pin file");
        // Only its owner may read a PIN (glance-sig warns otherwise, as ssh does for keys).
        std::fs::set_permissions(&pin_file, {
            let mut p = perms(&pin_file);
            std::os::unix::fs::PermissionsExt::set_mode(&mut p, 0o600);
            p
        })
        .expect("pin file mode");
        let hsm = Self {
            conf,
            module,
            pin_file,
            label: label.to_owned(),
        };
        hsm.util(&[
            "--init-token",
            "--free",
            "--label",
            label,
            "--pin",
            PIN,
            "--so-pin",
            "1357",
        ]);
        hsm
    }

    fn util(&self, args: &[&str]) {
        let out = Command::new("softhsm2-util")
            .args(args)
            .env("SOFTHSM2_CONF", &self.conf)
            .output()
            .expect("softhsm2-util runs");
        assert!(
            out.status.success(),
            "softhsm2-util {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Imports the key pair in `key_pem` (PKCS#8 PEM) as `object`, id `id` (hex).
    pub fn import(&self, key_pem: &Path, object: &str, id: &str) {
        let key = key_pem.to_str().expect("UTF-8 path");
        self.util(&[
            "--import",
            key,
            "--token",
            &self.label,
            "--label",
            object,
            "--id",
            id,
            "--pin",
            PIN,
        ]);
    }

    /// The URI of `object`, with its PIN file and module.
    pub fn uri(&self, object: &str) -> String {
        format!(
            "pkcs11:token={};object={object}?pin-source=file:{}&module-path={}",
            self.label,
            self.pin_file.display(),
            self.module.display()
        )
    }
}
