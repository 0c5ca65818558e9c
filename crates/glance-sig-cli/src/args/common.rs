//! Flags more than one command takes: the signing key (`sign`, `upload`) and the engine
//! (`sign`, `verify`).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use glance_sig_core::HashMethod;

/// The signing key and its certificate. `sign` requires `--cert-uuid`; `upload` requires one
/// of `--cert-uuid` and `--cert` (each sets that on its own command).
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// The private key: PEM or DER; PKCS#8 (optionally encrypted), PKCS#1, SEC1 or OpenSSL DSA.
    #[arg(long)]
    pub key: PathBuf,
    /// A file whose first line is the key's passphrase (else a prompt on a terminal).
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
    /// SHA-224, SHA-256, SHA-384 or SHA-512.
    #[arg(long, default_value = "SHA-256", value_parser = parse_hash)]
    pub hash_method: HashMethod,
    /// The Barbican secret id of the signing certificate (img_signature_certificate_uuid).
    #[arg(long, value_name = "ID")]
    pub cert_uuid: Option<String>,
    /// The signing certificate, PEM or DER.
    #[arg(long, value_name = "PATH")]
    pub cert: Option<PathBuf>,
}

/// Which implementation does the scheme work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineKind {
    /// The core, compiled into this binary.
    Native,
    /// The WebAssembly component (openstack:image-signature), run by wasmtime.
    #[value(alias = "wasmtime")]
    Component,
}

#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Who does the work: the native core, or the WebAssembly component under wasmtime
    /// (same output and exit codes).
    #[arg(long, value_enum, default_value = "native", env = "GLANCE_SIG_ENGINE")]
    pub engine: EngineKind,
    /// The component for --engine component [default: target/component/glance_sig_component.wasm
    /// under the current directory, else next to this executable or in ../component/].
    #[arg(long, env = "GLANCE_SIG_COMPONENT")]
    pub component: Option<PathBuf>,
}

/// `--hash-method`, parsed as the core reads the property.
///
/// # Errors
/// The core's message for a name it does not accept.
pub fn parse_hash(s: &str) -> Result<HashMethod, String> {
    HashMethod::parse(s).map_err(|e| e.to_string())
}
