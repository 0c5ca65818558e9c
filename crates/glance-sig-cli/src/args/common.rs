//! Flags more than one command takes: the signing key (`sign`, `upload`) and the engine
//! (`sign`, `verify`).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use glance_sig_core::HashMethod;

/// The signing key and its certificate. `sign` requires `--cert-uuid`; `upload` requires one
/// of `--cert-uuid` and `--cert` (each sets that on its own command).
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("signer").required(true).args(["key", "signer_command"])))]
pub struct KeyArgs {
    /// The private key: a file (PEM or DER; PKCS#8, optionally encrypted, PKCS#1, SEC1 or
    /// OpenSSL DSA), or a key in a PKCS#11 token or HSM named by an RFC 7512 URI:
    /// 'pkcs11:token=LABEL;object=KEY?pin-source=file:PIN_FILE'.
    #[arg(long, value_name = "FILE|PKCS11_URI")]
    pub key: Option<PathBuf>,
    /// Sign with an external command (a KMS, Vault): it gets the digest and prints the
    /// signature (docs/signers.md). Needs the certificate (--cert or --cert-uuid).
    #[arg(long, value_name = "CMD")]
    pub signer_command: Option<String>,
    /// How long --signer-command may take, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub signer_timeout: u64,
    /// The PKCS#11 module for a pkcs11: key without module-path= (SoftHSM2:
    /// /usr/lib/softhsm/libsofthsm2.so).
    #[arg(long, value_name = "PATH", env = "GLANCE_SIG_PKCS11_MODULE")]
    pub pkcs11_module: Option<PathBuf>,
    /// A file whose first line is the key's passphrase (else a prompt on a terminal).
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
    /// SHA-224, SHA-256, SHA-384 or SHA-512.
    #[arg(long, default_value = "SHA-256", value_parser = parse_hash)]
    pub hash_method: HashMethod,
    /// The Barbican secret id of the signing certificate (img_signature_certificate_uuid).
    #[arg(long, value_name = "ID")]
    pub cert_uuid: Option<String>,
    /// The signing certificate: a file (PEM or DER), or a pkcs11: URI of a certificate on the
    /// token.
    #[arg(long, value_name = "PATH|PKCS11_URI")]
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
    /// The component for --engine component [default: the one this glance-sig was built with,
    /// beside it or in ../component/, checked against its pinned SHA-256]. A path given here
    /// is run as chosen; a note says so when it is not the pinned one.
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
