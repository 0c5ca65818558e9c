//! Pins the WebAssembly component this binary runs with `--engine component`: the SHA-256 of
//! `target/component/glance_sig_component.wasm` (scripts/component/build.sh) as it is when
//! glance-sig is built. The CLI then loads that file only from beside itself and only with
//! that digest, so a file planted in the current directory or swapped later cannot run with
//! the private key. Build the component first (scripts/setup.sh does); a rebuilt component
//! re-pins on the next `cargo build`.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

fn main() {
    // OUT_DIR is <target>/[<triple>/]<profile>/build/<crate>-<hash>/out.
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let at = |up: usize| {
        out.ancestors()
            .nth(up)
            .map(|dir| dir.join("component").join("glance_sig_component.wasm"))
    };
    let component = at(4)
        .filter(|path| path.is_file())
        .or_else(|| at(5).filter(|path| path.is_file()))
        .or_else(|| at(4))
        .unwrap_or_default();
    println!("cargo:rerun-if-changed={}", component.display());
    let pin = match std::fs::read(&component) {
        Ok(bytes) => Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
        Err(_) => String::new(),
    };
    println!("cargo:rustc-env=GLANCE_SIG_COMPONENT_SHA256={pin}");
}
